"""Filling the report table of the feedback benchmark: one INSERT ... SELECT over generate_series.

Points are spread over the demo wards' extent, six in ten of them around the city centre (a sum of three
uniforms, roughly bell-shaped, a few kilometres wide) and the rest uniformly; created_at covers the last
year, and rows are written in created_at order as a live table would be; about 5% are open, 90% public;
codes are PA-<year>-<n> with n from the series, and the report number sequence is moved past them so
that submissions made afterwards do not collide. Each report's ward is found by point-in-polygon, as
submission would (the province answers for a point in no ward).
"""

from __future__ import annotations

FILL_SQL = """
WITH cats AS (
    SELECT array_agg(code ORDER BY code) AS codes,
           array_agg(default_department_code ORDER BY code) AS departments
    FROM feedback_categories
), raw AS (
    SELECT n, random() AS r_status, random() AS r_public, random() AS r_urgent,
           now() - random() * interval '365 days' AS created,
           CASE WHEN random() < 0.6
                THEN :centre_lon + (random() + random() + random() - 1.5) * :spread
                ELSE :min_lon + random() * (:max_lon - :min_lon) END AS lon,
           CASE WHEN random() < 0.6
                THEN :centre_lat + (random() + random() + random() - 1.5) * :spread
                ELSE :min_lat + random() * (:max_lat - :min_lat) END AS lat,
           1 + (n % array_length((SELECT codes FROM cats), 1)) AS category_index
    FROM generate_series(1, :reports) AS n
), placed AS (
    -- Rows arrive in the order they were filed, as in a real table: the heap follows created_at.
    SELECT raw.*, ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS point FROM raw ORDER BY created
)
INSERT INTO feedback_reports (
    id, code, category_code, description, answers, location, province_code, ward_code, unit_code,
    department_code, source, anonymous, is_public, urgent, status, sla_state, created_at, updated_at,
    acknowledge_due_at, acknowledged_at, resolve_due_at, resolved_at, closed_at, close_reason, support_count
)
SELECT gen_random_uuid(),
       'PA-' || extract(year FROM created)::int || '-' || lpad(n::text, 7, '0'),
       (SELECT codes FROM cats)[category_index],
       'Phản ánh mẫu số ' || n,
       '{}'::jsonb,
       point, '37', ward.code, coalesce(ward.code, '37'),
       (SELECT departments FROM cats)[category_index],
       'app', r_public < 0.05, r_public < 0.9, r_urgent < 0.03,
       status, 'on_track', created, created,
       created + interval '8 hours', CASE WHEN status <> 'submitted' THEN created + interval '2 hours' END,
       created + interval '5 days',
       CASE WHEN status IN ('resolved', 'closed') THEN created + interval '3 days' END,
       CASE WHEN status = 'closed' THEN created + interval '10 days' END,
       CASE WHEN status = 'closed' THEN 'rated' END,
       (n % 7)
FROM placed
CROSS JOIN LATERAL (
    SELECT CASE
        WHEN r_status < 0.010 THEN 'submitted' WHEN r_status < 0.020 THEN 'accepted'
        WHEN r_status < 0.030 THEN 'assigned' WHEN r_status < 0.050 THEN 'in_progress'
        WHEN r_status < 0.150 THEN 'resolved' WHEN r_status < 0.200 THEN 'rejected'
        ELSE 'closed' END AS status
) AS s
LEFT JOIN LATERAL (
    SELECT u.code FROM admin_units AS u
    WHERE u.level = 'ward' AND u.boundary && placed.point AND ST_Intersects(u.boundary, placed.point)
    ORDER BY u.code LIMIT 1
) AS ward ON true
"""

# Reports filed from now on get numbers after the generated ones.
MOVE_SEQUENCE_SQL = "SELECT setval('feedback_report_number_seq', :reports + 1)"
