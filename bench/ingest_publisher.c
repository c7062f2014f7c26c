/* Telemetry publisher of the ingestion benchmark (bench/ingest.py): many devices' messages over one MQTT 5
 * connection at QoS 1, in one thread, with at most WINDOW messages in flight.
 *
 * Why C: a Python publisher spends about 55 us of CPU per message, on the same two cores as the broker, the
 * consumers and PostgreSQL, so it capped what the benchmark could show; this one spends about a fifth of it.
 *
 * It sends exactly what bench_source (bench/ingest_parts.py) yields: message i is device ids[i % n] on
 * city/v1/devices/<id>/telemetry with seq BASE_SEQ + FIRST_ROUND + i / n and the payload
 *   {"ts":"<now, RFC 3339, ms, Z>","seq":S,"metrics":{"pm25":P.5,"pm10":P*1.6,"temperature":27.5,"humidity":81.0}}
 * where P = 20 + (d * 7 + round) % 60, so the benchmark can tell what was lost or stored twice.
 *
 * Usage: ingest_publisher -h HOST -p PORT -u USER -i CLIENT_ID -f IDS_FILE|- -o SENT_AT_FILE
 *                         [-b BASE_SEQ] [-R FIRST_ROUND] [-n COUNT] [-t SECONDS] [-r MSG_PER_S] [-w WINDOW]
 *   The password is read from the environment variable INGEST_PUBLISHER_PASSWORD (kept off the process
 *   list). Device ids: one per line. Stops after COUNT messages (0: no limit) or SECONDS after connecting,
 *   whichever comes first; at least one of them must be given.
 *   SENT_AT_FILE receives the wall-clock send time (seconds since the epoch, native double) of every
 *   message, in send order. At the end one JSON line on stdout: sent, acked, failed (refused, reason
 *   >= 0x80), retried, reconnects, started_at, finished_at, cpu_seconds, cpu_us_per_msg.
 *
 * A PUBACK 0x10 "no matching subscribers" on a non-retained message means the broker dropped it (the
 * backend was not subscribed at that moment): the device contract requires publishing it again, byte for
 * byte, after a backoff; meanwhile no new message is taken, as a device would do.
 */
#include <errno.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define MAX_WINDOW 100
#define PAYLOAD_MAX 200
#define TOPIC_MAX 96
#define NO_MATCHING_SUBSCRIBERS 0x10
/* After the duration, how long to wait for the PUBACKs of the messages still in flight. */
#define DRAIN_SECONDS 30.0
/* Backoff of a message answered 0x10: doubled for each further 0x10 in a row, at most the maximum. */
#define RETRY_FIRST_SECONDS 0.25
#define RETRY_MAX_SECONDS 2.0

struct message {
    bool used;
    int bounces;
    int topic;
    int len;
    double due;
    char payload[PAYLOAD_MAX];
};

static char (*topics)[TOPIC_MAX];
static long devices;
static long long base_seq, first_round;
static long long count;
static double seconds, rate;
static int window = MAX_WINDOW;

static long long sent, acked, failed, retried, reconnects, inflight;
static double started_at, stop_at;
static bool connected, stopping;
static FILE *stamps_out;

/* The messages awaiting their PUBACK, by mid (libmosquitto keeps a mid across reconnects). */
static struct message pending[65536];
/* The messages answered 0x10, waiting for their retry; at most the window, as no new message is taken
 * while any waits. */
static struct message retries[MAX_WINDOW];
static int retry_count;

static double wall(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

/* Message number `i`'s payload with the current time as its ts; returns its length and its send time. */
static int build(long long i, char *out, double *when) {
    static time_t cached_second = -1;
    static char prefix[32];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != cached_second) {
        struct tm parts;
        gmtime_r(&ts.tv_sec, &parts);
        strftime(prefix, sizeof prefix, "%Y-%m-%dT%H:%M:%S", &parts);
        cached_second = ts.tv_sec;
    }
    *when = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    long long d = i % devices, round = first_round + i / devices;
    int pm25 = (int)(20 + (d * 7 + round) % 60);
    return snprintf(out, PAYLOAD_MAX,
                    "{\"ts\":\"%s.%03dZ\",\"seq\":%lld,\"metrics\":{\"pm25\":%d.5,\"pm10\":%.1f,"
                    "\"temperature\":27.5,\"humidity\":81.0}}",
                    prefix, (int)(ts.tv_nsec / 1000000), base_seq + round, pm25, pm25 * 1.6);
}

static bool send_message(struct mosquitto *mosq, const struct message *m) {
    int mid = 0;
    int rc = mosquitto_publish_v5(mosq, &mid, topics[m->topic], m->len, m->payload, 1, false, NULL);
    if (rc != MOSQ_ERR_SUCCESS) {
        /* Not connected: libmosquitto refuses until the reconnect; try again on the next pump. */
        return false;
    }
    pending[mid] = *m;
    pending[mid].used = true;
    inflight++;
    return true;
}

static void pump(struct mosquitto *mosq) {
    if (!connected || stopping) return;
    if (retry_count > 0) {
        /* Retries go first and are not paced: they were paced when first sent. */
        double now = wall();
        for (int k = 0; k < retry_count && inflight < window;) {
            if (retries[k].due <= now) {
                if (!send_message(mosq, &retries[k])) return;
                retried++;
                retries[k] = retries[--retry_count];
            } else {
                k++;
            }
        }
        if (retry_count > 0) return;
    }
    long long budget = window - inflight;
    if (rate > 0) {
        long long due = (long long)((wall() - started_at) * rate) + 1 - sent;
        if (due < budget) budget = due;
    }
    struct message m = {.used = true};
    for (; budget > 0 && (count == 0 || sent < count); budget--) {
        double when;
        m.topic = (int)(sent % devices);
        m.len = build(sent, m.payload, &when);
        if (!send_message(mosq, &m)) return;
        fwrite(&when, sizeof when, 1, stamps_out);
        sent++;
    }
}

static void on_connect(struct mosquitto *mosq, void *obj, int rc, int flags, const mosquitto_property *props) {
    (void)obj; (void)flags; (void)props;
    if (rc != 0) {
        fprintf(stderr, "ingest_publisher: connection refused: %s\n", mosquitto_reason_string(rc));
        exit(2);
    }
    connected = true;
    if (started_at == 0) {
        started_at = wall();
        if (seconds > 0) stop_at = started_at + seconds;
    }
    pump(mosq);
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc, const mosquitto_property *props) {
    (void)mosq; (void)obj; (void)rc; (void)props;
    connected = false;
}

static void on_publish(struct mosquitto *mosq, void *obj, int mid, int reason, const mosquitto_property *props) {
    (void)obj; (void)props;
    struct message *m = &pending[mid & 0xffff];
    if (!m->used) return;
    m->used = false;
    inflight--;
    if (reason >= 0x80) {
        failed++;
    } else if (reason == NO_MATCHING_SUBSCRIBERS && !stopping && retry_count < MAX_WINDOW) {
        double delay = RETRY_FIRST_SECONDS * (double)(1 << (m->bounces < 4 ? m->bounces : 4));
        m->due = wall() + (delay < RETRY_MAX_SECONDS ? delay : RETRY_MAX_SECONDS);
        m->bounces++;
        retries[retry_count++] = *m;
    } else if (reason != NO_MATCHING_SUBSCRIBERS) {
        acked++;
    }
    pump(mosq);
}

static bool finished(void) {
    double now = wall();
    if (stop_at > 0 && now >= stop_at) {
        /* Send nothing more (retries included) but wait a little for what is in flight. */
        stopping = true;
        return inflight <= 0 || now >= stop_at + DRAIN_SECONDS;
    }
    return count > 0 && sent >= count && inflight <= 0 && retry_count == 0;
}

static void read_ids(const char *path) {
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (in == NULL) {
        fprintf(stderr, "ingest_publisher: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    long capacity = 1024;
    topics = malloc((size_t)capacity * sizeof *topics);
    char line[64];
    while (fgets(line, sizeof line, in) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0') continue;
        if (devices == capacity) {
            capacity *= 2;
            topics = realloc(topics, (size_t)capacity * sizeof *topics);
        }
        snprintf(topics[devices++], TOPIC_MAX, "city/v1/devices/%s/telemetry", line);
    }
    if (in != stdin) fclose(in);
    if (devices == 0) {
        fprintf(stderr, "ingest_publisher: no device ids in %s\n", path);
        exit(1);
    }
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1", *user = NULL, *client_id = "ingest-publisher", *ids = NULL, *out = NULL;
    int port = 1883, opt;
    while ((opt = getopt(argc, argv, "h:p:u:i:f:o:b:R:n:t:r:w:")) != -1) {
        switch (opt) {
        case 'h': host = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 'u': user = optarg; break;
        case 'i': client_id = optarg; break;
        case 'f': ids = optarg; break;
        case 'o': out = optarg; break;
        case 'b': base_seq = atoll(optarg); break;
        case 'R': first_round = atoll(optarg); break;
        case 'n': count = atoll(optarg); break;
        case 't': seconds = atof(optarg); break;
        case 'r': rate = atof(optarg); break;
        case 'w': window = atoi(optarg); break;
        default: fprintf(stderr, "ingest_publisher: see the usage at the top of ingest_publisher.c\n"); return 1;
        }
    }
    if (ids == NULL || out == NULL || (count <= 0 && seconds <= 0)) {
        fprintf(stderr, "ingest_publisher: -f IDS, -o SENT_AT_FILE and -n COUNT or -t SECONDS are required\n");
        return 1;
    }
    if (window < 1) window = 1;
    if (window > MAX_WINDOW) window = MAX_WINDOW;
    read_ids(ids);
    stamps_out = fopen(out, "wb");
    if (stamps_out == NULL) {
        fprintf(stderr, "ingest_publisher: %s: %s\n", out, strerror(errno));
        return 1;
    }

    mosquitto_lib_init();
    struct mosquitto *mosq = mosquitto_new(client_id, true, NULL);
    mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    mosquitto_int_option(mosq, MOSQ_OPT_SEND_MAXIMUM, window);
    if (user != NULL) mosquitto_username_pw_set(mosq, user, getenv("INGEST_PUBLISHER_PASSWORD"));
    mosquitto_connect_v5_callback_set(mosq, on_connect);
    mosquitto_disconnect_v5_callback_set(mosq, on_disconnect);
    mosquitto_publish_v5_callback_set(mosq, on_publish);
    if (mosquitto_connect_bind_v5(mosq, host, port, 30, NULL, NULL) != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "ingest_publisher: cannot reach %s:%d\n", host, port);
        return 2;
    }
    double cpu_start = cpu_seconds();
    double reconnect_delay = 0.5;
    /* Wake often enough to send the paced messages and the retries whose time has come. */
    int tick_ms = rate > 0 ? 2 : 100;
    while (!finished()) {
        int rc = mosquitto_loop(mosq, retry_count > 0 ? 2 : tick_ms, 1);
        if (rc == MOSQ_ERR_SUCCESS) {
            reconnect_delay = 0.5;
            pump(mosq);
            continue;
        }
        /* The connection dropped: open it again; libmosquitto resends what was in flight under the same
         * mids, so a receiver may see a message twice (the contract's dedupe key makes that harmless). */
        connected = false;
        reconnects++;
        while (mosquitto_reconnect(mosq) != MOSQ_ERR_SUCCESS && !finished()) {
            usleep((useconds_t)(reconnect_delay * 1e6));
            reconnect_delay = reconnect_delay * 2 < 10 ? reconnect_delay * 2 : 10;
        }
    }
    double finished_at = wall(), cpu = cpu_seconds() - cpu_start;
    mosquitto_disconnect_v5(mosq, 0, NULL);
    mosquitto_loop(mosq, 100, 1);
    if (fclose(stamps_out) != 0) {
        fprintf(stderr, "ingest_publisher: %s: %s\n", out, strerror(errno));
        return 1;
    }
    printf("{\"sent\": %lld, \"acked\": %lld, \"failed\": %lld, \"retried\": %lld, \"reconnects\": %lld, "
           "\"started_at\": %.6f, \"finished_at\": %.6f, \"cpu_seconds\": %.6f, \"cpu_us_per_msg\": %.3f}\n",
           sent, acked, failed, retried, reconnects, started_at, finished_at, cpu,
           sent ? cpu * 1e6 / (double)sent : 0.0);
    mosquitto_destroy(mosq);
    mosquitto_lib_cleanup();
    return 0;
}
