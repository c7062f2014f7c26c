"""The statements of the map benchmark's fill (bench/ioc_map_fill.py runs them): set-based, each writing one
table's rows at once from generate_series or from the rows already written."""

from __future__ import annotations

# The city's own ward (Phường Nam Định): the province's busiest centre.
HEART_WARD = "13666"
OPEN_STATUSES = ("accepted", "assigned", "in_progress", "submitted")  # in the partial indexes' order

# Every statement that places points starts with these CTEs and takes $1..$7: the first and last number of
# the series drawn, how many points to keep, the clustered share, the spread around a centre (degrees), the
# heart ward and the share of clustered points around it. A point outside every ward is dropped, so the
# series is drawn larger than the count kept (see Filler._draw).
POINTS = """
centres AS (
    SELECT array_agg(ST_X(centroid) ORDER BY code) AS lons, array_agg(ST_Y(centroid) ORDER BY code) AS lats,
           count(*)::int AS k, array_position(array_agg(code::text ORDER BY code), $6::text) AS heart
    FROM admin_units WHERE level = 'ward'
), box AS (
    SELECT ST_XMin(e) AS x0, ST_YMin(e) AS y0, ST_XMax(e) AS x1, ST_YMax(e) AS y1
    FROM (SELECT ST_Extent(boundary)::geometry AS e FROM admin_units WHERE level = 'ward') AS b
), drawn AS (
    SELECT n, random() < $4 AS clustered,
           CASE WHEN random() < $7 THEN coalesce(centres.heart, 1)
                ELSE 1 + floor(random() * centres.k)::int END AS c,
           random() + random() + random() - 1.5 AS dx, random() + random() + random() - 1.5 AS dy,
           random() AS ux, random() AS uy
    FROM generate_series($1::bigint, $2::bigint) AS n, centres
), points AS (
    SELECT d.n, w.code AS ward_code, w.parent_code AS province_code, p.point
    FROM drawn AS d, centres, box,
         LATERAL (
             SELECT ST_SetSRID(ST_MakePoint(
                 CASE WHEN d.clustered THEN centres.lons[d.c] + d.dx * $5
                      ELSE box.x0 + d.ux * (box.x1 - box.x0) END,
                 CASE WHEN d.clustered THEN centres.lats[d.c] + d.dy * $5
                      ELSE box.y0 + d.uy * (box.y1 - box.y0) END), 4326) AS point
         ) AS p,
         LATERAL (
             SELECT u.code, u.parent_code FROM admin_units AS u
             WHERE u.level = 'ward' AND ST_Intersects(u.boundary, p.point)
             ORDER BY u.code LIMIT 1
         ) AS w
    LIMIT $3
)
"""

# $8: the share of open reports. Open ones were filed in the last 60 days, resolved ones (not yet closed
# by a rating or the auto-close) in the last 14, the rest over two years; rows are written in created_at
# order, as a live table's heap would be.
REPORTS_SQL = f"""
WITH {POINTS}, cats AS (
    SELECT array_agg(code ORDER BY sort_order, code) AS codes,
           array_agg(default_department_code ORDER BY sort_order, code) AS departments
    FROM feedback_categories WHERE active
), rolled AS (
    SELECT points.*, random() AS r_status, random() AS r_age, random() AS r_public, random() AS r_urgent,
           random() AS r_rating, random() AS r_category
    FROM points
), decided AS (
    SELECT rolled.*, s.status,
           -- A skewed pick: the catalogue's first categories are reported far more than its last.
           1 + floor(power(r_category, 2) * array_length(cats.codes, 1))::int AS category_index,
           now() - r_age * CASE WHEN s.status IN {OPEN_STATUSES} THEN interval '60 days'
                                WHEN s.status = 'resolved' THEN interval '14 days'
                                ELSE interval '730 days' END AS created
    FROM rolled, cats,
         LATERAL (
             SELECT CASE WHEN rolled.r_status < $8 * 0.2 THEN 'submitted'
                         WHEN rolled.r_status < $8 * 0.4 THEN 'accepted'
                         WHEN rolled.r_status < $8 * 0.6 THEN 'assigned'
                         WHEN rolled.r_status < $8 THEN 'in_progress'
                         WHEN rolled.r_status < $8 + 0.05 THEN 'resolved'
                         WHEN rolled.r_status < $8 + 0.10 THEN 'rejected'
                         ELSE 'closed' END AS status
         ) AS s
)
INSERT INTO feedback_reports (
    id, code, category_code, description, answers, location, province_code, ward_code, unit_code,
    department_code, source, anonymous, is_public, urgent, status, sla_state, created_at, updated_at,
    acknowledge_due_at, acknowledged_at, resolve_due_at, resolved_at, closed_at, close_reason, rating,
    rated_at, support_count
)
SELECT gen_random_uuid(),
       'PA-' || extract(year FROM created)::int || '-' || lpad(n::text, greatest(7, length(n::text)), '0'),
       cats.codes[category_index], 'Phản ánh mẫu số ' || n, '{{}}'::jsonb,
       point, province_code, ward_code, ward_code, cats.departments[category_index],
       'app', r_public < 0.05, r_public < 0.9, r_urgent < 0.03, status,
       CASE WHEN status IN {OPEN_STATUSES} AND created + interval '5 days' < now() THEN 'overdue'
            ELSE 'on_track' END,
       created, created,
       created + interval '8 hours',
       CASE WHEN status <> 'submitted' THEN created + interval '2 hours' END,
       created + interval '5 days',
       CASE WHEN status IN ('resolved', 'closed') THEN created + interval '3 days' END,
       CASE WHEN status = 'closed' THEN created + interval '10 days' END,
       CASE WHEN status = 'closed' THEN CASE WHEN r_rating < 0.7 THEN 'rated' ELSE 'auto_closed' END END,
       CASE WHEN status = 'closed' AND r_rating < 0.7 THEN
            CASE WHEN r_rating < 0.3 THEN 'very_satisfied' WHEN r_rating < 0.55 THEN 'satisfied'
                 ELSE 'not_satisfied' END END,
       CASE WHEN status = 'closed' AND r_rating < 0.7 THEN created + interval '10 days' END,
       (n % 7)::int
FROM decided, cats
ORDER BY created
"""  # noqa: S608  (constants)

# $8: the devices in maintenance (share). Types in the proportions of a city's fleet.
DEVICES_SQL = f"""
WITH {POINTS}, rolled AS (
    SELECT points.*, random() AS r_type, random() AS r_status, random() AS r_age FROM points
), typed AS (
    SELECT rolled.*,
           CASE WHEN r_type < 0.25 THEN 'camera_traffic' WHEN r_type < 0.50 THEN 'camera_security'
                WHEN r_type < 0.70 THEN 'air_quality' WHEN r_type < 0.85 THEN 'water_level'
                ELSE 'noise' END AS type
    FROM rolled
)
INSERT INTO devices (id, type, name, location, ward_code, province_code, metadata, status, created_at,
                     updated_at)
SELECT gen_random_uuid(), type,
       CASE type WHEN 'camera_traffic' THEN 'Camera giao thông' WHEN 'camera_security' THEN 'Camera an ninh'
                 WHEN 'air_quality' THEN 'Trạm quan trắc không khí'
                 WHEN 'water_level' THEN 'Cảm biến mực nước'
                 ELSE 'Cảm biến tiếng ồn' END || ' #' || n,
       point, ward_code, province_code, jsonb_build_object('bench', 'ioc_map'),
       CASE WHEN r_status < $8 THEN 'maintenance' ELSE 'active' END,
       now() - r_age * interval '400 days', now()
FROM typed
"""  # noqa: S608  (constants)

# Each device's latest state: a few never reported, most active ones online and recently seen, the others
# offline for minutes to days; readings spread so that every level of the map's colour scale occurs.
DEVICE_STATE_SQL = """
WITH rolled AS (
    SELECT id, type, status, random() AS r_online, random() AS r_value, random() AS r_time,
           random() < 0.02 AS silent
    FROM devices
), timed AS (
    SELECT rolled.*, NOT silent AND status = 'active' AND r_online < 0.92 AS up,
           CASE WHEN silent THEN NULL
                WHEN status = 'active' AND r_online < 0.92 THEN now() - r_time * interval '50 seconds'
                ELSE now() - interval '10 minutes' - r_time * interval '3 days' END AS seen
    FROM rolled
)
INSERT INTO device_state (device_id, seq, ts, metrics, last_seen_at, reported_state, reported_at, online,
                          online_changed_at, updated_at)
SELECT id, CASE WHEN silent THEN NULL ELSE 1000 + floor(r_value * 100000)::bigint END, seen,
       CASE WHEN silent THEN '{}'::jsonb
            WHEN type = 'water_level' THEN jsonb_build_object(
                'level_cm', round((CASE WHEN r_value < 0.9 THEN 2 + r_value * 12
                                        ELSE 20 + (r_value - 0.9) * 500 END)::numeric, 1),
                'rain_mm', round((r_time * 10)::numeric, 1))
            WHEN type = 'air_quality' THEN jsonb_build_object(
                'pm25', round((8 + power(r_value, 2) * 220)::numeric, 1),
                'pm10', round(((8 + power(r_value, 2) * 220) * 1.6)::numeric, 1))
            WHEN type = 'noise' THEN jsonb_build_object(
                'laeq_db', round((45 + r_value * 40)::numeric, 1),
                'lmax_db', round((54 + r_value * 40)::numeric, 1))
            WHEN type = 'camera_traffic' THEN jsonb_build_object(
                'vehicle_count', floor(r_value * 60), 'avg_speed_kmh', round((15 + r_time * 35)::numeric, 1))
            ELSE '{}'::jsonb END,
       seen, CASE WHEN silent THEN NULL WHEN up THEN 'online' ELSE 'offline' END, seen, up,
       CASE WHEN silent THEN NULL WHEN up THEN now() - r_online * interval '30 days'
            ELSE seen + interval '3 minutes' END,
       now()
FROM timed
"""

# The alarm type a device's alarm is of, and the starting rules (data/ioc/rules.yaml) that raise them.
_ALARM_TYPE = """
CASE WHEN d.type = 'water_level' THEN 'flood' WHEN d.type = 'air_quality' THEN 'air_quality'
     WHEN NOT s.online THEN 'device_offline' WHEN d.type = 'camera_traffic' THEN 'accident'
     ELSE 'fire' END
"""
_RULES = """
rules AS (
    SELECT v.alarm_type, r.id, r.current_version AS version,
           split_part(v.name, ' / ', 1) AS title_vi, split_part(v.name, ' / ', 2) AS title_en
    FROM alert_rules AS r JOIN alert_rule_versions AS v ON v.rule_id = r.id AND v.version = r.current_version
)
"""
_SEVERITY = """
CASE c.alarm_type
     WHEN 'flood' THEN CASE WHEN c.r_severity < 0.5 THEN 'warning' WHEN c.r_severity < 0.9 THEN 'major'
                            ELSE 'critical' END
     WHEN 'air_quality' THEN CASE WHEN c.r_severity < 0.8 THEN 'major' ELSE 'critical' END
     WHEN 'fire' THEN 'critical' WHEN 'accident' THEN 'major' ELSE 'minor' END
"""
_ALARM_COLUMNS = """
id, rule_id, rule_version, source_kind, source_key, device_id, unit_code, location, type, severity, status,
title_vi, title_en, details, count, raised_at, last_seen_at, acknowledged_at, cleared_at, clear_reason,
updated_at
"""

# $1 active alarms, on as many distinct active devices (one active alarm per rule and device); 3 in 10
# acknowledged.
ACTIVE_ALARMS_SQL = f"""
WITH {_RULES}, picked AS (
    SELECT d.id, d.location, coalesce(d.ward_code, d.province_code) AS unit_code, {_ALARM_TYPE} AS alarm_type
    FROM devices AS d JOIN device_state AS s ON s.device_id = d.id
    WHERE d.type <> 'noise' AND d.status = 'active'
    ORDER BY random() LIMIT $1
), chosen AS (
    -- Drawn apart from the pick: an ORDER BY random() would be matched to a random() of the same list.
    SELECT picked.*, random() AS r_severity, random() AS r_ack,
           now() - random() * interval '72 hours' AS raised
    FROM picked
)
INSERT INTO alarms ({_ALARM_COLUMNS})
SELECT gen_random_uuid(), rules.id, rules.version, 'device', c.id::text, c.id, c.unit_code, c.location,
       c.alarm_type, {_SEVERITY},
       CASE WHEN c.r_ack < 0.3 THEN 'active_acknowledged' ELSE 'active_unacknowledged' END,
       rules.title_vi, rules.title_en, '{{}}'::jsonb, 1 + floor(c.r_severity * 20)::int, c.raised,
       now() - c.r_ack * (now() - c.raised),
       CASE WHEN c.r_ack < 0.3 THEN c.raised + (now() - c.raised) / 2 END, NULL, NULL, now()
FROM chosen AS c JOIN rules ON rules.alarm_type = c.alarm_type
"""  # noqa: S608  (constants)

# $1 cleared alarms, the last 90 days' history, on devices drawn with repeats.
CLEARED_ALARMS_SQL = f"""
WITH {_RULES}, fleet AS (
    SELECT array_agg(id) AS ids, count(*)::int AS k FROM devices WHERE type <> 'noise'
), picked AS (
    SELECT fleet.ids[1 + floor(random() * fleet.k)::int] AS device_id, random() AS r_severity,
           random() AS r_ack, now() - interval '4 days' - random() * interval '86 days' AS raised
    FROM generate_series(1, $1) AS n, fleet
), chosen AS (
    SELECT p.*, d.location, coalesce(d.ward_code, d.province_code) AS unit_code, {_ALARM_TYPE} AS alarm_type
    FROM picked AS p JOIN devices AS d ON d.id = p.device_id JOIN device_state AS s ON s.device_id = d.id
)
INSERT INTO alarms ({_ALARM_COLUMNS})
SELECT gen_random_uuid(), rules.id, rules.version, 'device', c.device_id::text, c.device_id, c.unit_code,
       c.location, c.alarm_type, {_SEVERITY},
       CASE WHEN c.r_ack < 0.6 THEN 'cleared_acknowledged' ELSE 'cleared_unacknowledged' END,
       rules.title_vi, rules.title_en, '{{}}'::jsonb, 1, c.raised, c.raised + interval '2 hours',
       CASE WHEN c.r_ack < 0.6 THEN c.raised + interval '10 minutes' END, c.raised + interval '3 hours',
       'rule', now()
FROM chosen AS c JOIN rules ON rules.alarm_type = c.alarm_type
"""  # noqa: S608  (constants)

# $1 open incidents, each led by an active alarm of a kind that draws people's reports, with the open
# reports within about 400 m joined to it (a report belongs to one open incident at most).
INCIDENTS_SQL = """
WITH leads AS (
    SELECT id, unit_code, severity, title_vi, title_en, location, raised_at,
           row_number() OVER (ORDER BY raised_at, id) AS k
    FROM (SELECT * FROM alarms WHERE cleared_at IS NULL AND type IN ('flood', 'fire', 'accident')
          ORDER BY random() LIMIT $1) AS a
), made AS (
    INSERT INTO incidents (id, code, unit_code, status, lead_alarm_id, severity, title_vi, title_en,
                           footprint, alarm_count, report_count, first_seen_at, last_seen_at, created_at,
                           updated_at)
    SELECT gen_random_uuid(), 'SC-' || extract(year FROM now())::int || '-' || lpad(k::text, 6, '0'),
           unit_code, 'open', id, severity, title_vi, title_en,
           ST_Buffer(location::geography, 200)::geometry, 1, 0, raised_at, now(), raised_at, now()
    FROM leads
    RETURNING id, lead_alarm_id
)
INSERT INTO incident_members (incident_id, member_kind, member_id, linked_at)
SELECT id, 'alarm', lead_alarm_id, now() FROM made
"""
INCIDENT_REPORTS_SQL = f"""
INSERT INTO incident_members (incident_id, member_kind, member_id, linked_at)
SELECT i.id, 'report', r.id, now()
FROM incidents AS i
CROSS JOIN LATERAL (
    SELECT f.id FROM feedback_reports AS f
    WHERE f.status IN {OPEN_STATUSES} AND ST_DWithin(f.location, ST_Centroid(i.footprint), 0.004)
    LIMIT 3
) AS r
ON CONFLICT DO NOTHING
"""  # noqa: S608  (constants)
INCIDENT_COUNTS_SQL = """
UPDATE incidents AS i SET report_count = m.n
FROM (SELECT incident_id, count(*)::int AS n FROM incident_members WHERE member_kind = 'report'
      GROUP BY incident_id) AS m
WHERE m.incident_id = i.id
"""

# $8: the share on duty. Field staff of the ward they stand in, with a fresh position when on duty.
FIELD_STAFF_SQL = f"""
WITH {POINTS}, staff AS (
    SELECT gen_random_uuid() AS id, points.*, random() < $8 AS on_duty, random() AS r_accuracy FROM points
), made AS (
    INSERT INTO users (id, role, username, display_name, unit_code, language, is_active)
    SELECT id, 'field_staff', 'bench-field-' || n, 'Cán bộ hiện trường ' || n, ward_code, 'vi', true
    FROM staff
)
INSERT INTO field_staff_status (user_id, on_duty, position, accuracy_m, position_at, updated_at)
SELECT id, on_duty, CASE WHEN on_duty THEN point END, CASE WHEN on_duty THEN 5 + r_accuracy * 30 END,
       CASE WHEN on_duty THEN now() END, now()
FROM staff
"""  # noqa: S608  (constants)

SHARE_SQL = """
SELECT ST_Area(ST_Union(boundary)) / nullif(ST_Area(ST_Extent(boundary)::geometry), 0)
FROM admin_units WHERE level = 'ward'
"""
COUNTS_SQL = f"""
SELECT (SELECT count(*) FROM feedback_reports) AS reports,
       (SELECT count(*) FROM feedback_reports WHERE status IN {OPEN_STATUSES}) AS open_reports,
       (SELECT count(*) FROM feedback_reports WHERE ward_code IS NULL) AS reports_without_ward,
       (SELECT count(*) FROM devices) AS devices,
       (SELECT count(*) FROM device_state WHERE online) AS online,
       (SELECT count(*) FROM alarms WHERE cleared_at IS NULL) AS active_alarms,
       (SELECT count(*) FROM alarms WHERE cleared_at IS NOT NULL) AS cleared_alarms,
       (SELECT count(*) FROM incidents WHERE status = 'open') AS incidents,
       (SELECT count(*) FROM field_staff_status WHERE on_duty) AS on_duty,
       (SELECT count(*) FROM warnings WHERE cancelled_at IS NULL) AS warnings
"""  # noqa: S608  (constants)
