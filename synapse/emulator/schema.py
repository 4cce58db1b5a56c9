"""The emulator's SQLite schema: one table per resource of API.md.

JSON-valued fields are stored as JSON text; booleans as 0/1; times as ISO-8601 UTC text
(``2024-01-01T00:00:00.000000Z``), which sorts and compares correctly as text.
"""

from __future__ import annotations

SCHEMA = """
CREATE TABLE IF NOT EXISTS data_collections (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL DEFAULT 'image',
    meta TEXT NOT NULL DEFAULT '{}',
    is_archived INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS file_specifications (
    id INTEGER PRIMARY KEY,
    data_collection INTEGER NOT NULL,
    name TEXT NOT NULL,
    file_type TEXT NOT NULL,
    is_required INTEGER NOT NULL DEFAULT 0,
    is_primary INTEGER NOT NULL DEFAULT 0,
    idx INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS file_specifications_collection ON file_specifications(data_collection);
CREATE TABLE IF NOT EXISTS projects (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL DEFAULT 'image',
    data_collection INTEGER,
    configuration TEXT NOT NULL DEFAULT '{}',
    settings TEXT NOT NULL DEFAULT '{}',
    is_archived INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS task_tags (
    id INTEGER PRIMARY KEY,
    project INTEGER NOT NULL,
    name TEXT NOT NULL,
    category TEXT NOT NULL DEFAULT 'project',
    description TEXT NOT NULL DEFAULT '',
    meta TEXT NOT NULL DEFAULT '{}',
    created TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS task_tags_project ON task_tags(project);
CREATE TABLE IF NOT EXISTS data_files (
    id INTEGER PRIMARY KEY,
    checksum TEXT NOT NULL,
    size INTEGER NOT NULL,
    filename TEXT NOT NULL,
    path TEXT,
    content BLOB,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS data_files_checksum ON data_files(checksum);
CREATE TABLE IF NOT EXISTS data_units (
    id INTEGER PRIMARY KEY,
    data_collection INTEGER NOT NULL,
    checksum TEXT NOT NULL,
    meta TEXT NOT NULL DEFAULT '{}',
    files TEXT NOT NULL DEFAULT '{}',
    groups TEXT NOT NULL DEFAULT '[]',
    created TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS data_units_collection ON data_units(data_collection, id);
CREATE TABLE IF NOT EXISTS tasks (
    id INTEGER PRIMARY KEY,
    project INTEGER NOT NULL,
    data_unit INTEGER NOT NULL,
    data TEXT,
    meta TEXT NOT NULL DEFAULT '{}',
    status_label TEXT NOT NULL DEFAULT 'stand_by',
    status_review TEXT NOT NULL DEFAULT 'stand_by',
    is_discarded INTEGER NOT NULL DEFAULT 0,
    tags TEXT NOT NULL DEFAULT '[]',
    created TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tasks_project ON tasks(project, id);
CREATE TABLE IF NOT EXISTS assignments (
    id INTEGER PRIMARY KEY,
    project INTEGER NOT NULL,
    task INTEGER NOT NULL,
    user INTEGER,
    reviewer INTEGER,
    status_label TEXT NOT NULL DEFAULT 'stand_by',
    status_review TEXT NOT NULL DEFAULT 'stand_by',
    is_confirmed INTEGER NOT NULL DEFAULT 0,
    is_discarded INTEGER NOT NULL DEFAULT 0,
    data TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    created TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS assignments_project ON assignments(project, id);
CREATE INDEX IF NOT EXISTS assignments_task ON assignments(task);
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY,
    filename TEXT NOT NULL DEFAULT '',
    "offset" INTEGER NOT NULL DEFAULT 0,
    status INTEGER NOT NULL DEFAULT 1,
    path TEXT NOT NULL,
    md5 TEXT,
    touched REAL NOT NULL,
    completed_at TEXT,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS plugins (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    category TEXT NOT NULL DEFAULT 'neural_net',
    description TEXT NOT NULL DEFAULT '',
    is_active INTEGER NOT NULL DEFAULT 1,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS plugin_releases (
    id INTEGER PRIMARY KEY,
    plugin INTEGER NOT NULL,
    version TEXT NOT NULL,
    config TEXT NOT NULL DEFAULT '{}',
    requirements TEXT NOT NULL DEFAULT '[]',
    debug INTEGER NOT NULL DEFAULT 0,
    archive TEXT,
    created TEXT NOT NULL,
    UNIQUE (plugin, version)
);
CREATE TABLE IF NOT EXISTS agents (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    url TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'connected',
    token TEXT NOT NULL UNIQUE,
    checked_at TEXT
);
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL DEFAULT 'PENDING',
    plugin TEXT,
    plugin_release INTEGER,
    agent INTEGER,
    action TEXT,
    params TEXT NOT NULL DEFAULT '{}',
    progress_record TEXT NOT NULL DEFAULT '{}',
    metrics_record TEXT NOT NULL DEFAULT '{}',
    result TEXT,
    meta TEXT NOT NULL DEFAULT '{}',
    created TEXT NOT NULL,
    started TEXT,
    finished TEXT,
    step INTEGER NOT NULL DEFAULT 0,
    next_due REAL,
    will_fail INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_next_due ON jobs(next_due);
CREATE TABLE IF NOT EXISTS job_logs (
    seq INTEGER PRIMARY KEY,
    job INTEGER NOT NULL,
    line TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS job_logs_job ON job_logs(job, seq);
CREATE TABLE IF NOT EXISTS log_entries (
    id INTEGER PRIMARY KEY,
    job TEXT NOT NULL,
    event TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}',
    datetime TEXT NOT NULL,
    step TEXT,
    level TEXT,
    file TEXT,
    created TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS log_entries_job ON log_entries(job, id);
CREATE TABLE IF NOT EXISTS serve_applications (
    id INTEGER PRIMARY KEY,
    job TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'DEPLOYING',
    data TEXT NOT NULL DEFAULT '{}',
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS models (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    plugin TEXT,
    version TEXT,
    checkpoint INTEGER,
    configuration TEXT NOT NULL DEFAULT '{}',
    description TEXT NOT NULL DEFAULT '',
    path TEXT,
    filename TEXT NOT NULL DEFAULT '',
    is_released INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ground_truth_versions (
    id INTEGER PRIMARY KEY,
    ground_truth_dataset INTEGER NOT NULL,
    version TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    is_archived INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ground_truth_events (
    pgh_id INTEGER PRIMARY KEY,
    id INTEGER NOT NULL,
    version INTEGER NOT NULL,
    pgh_label TEXT NOT NULL,
    data_unit INTEGER,
    category TEXT NOT NULL,
    data TEXT,
    files TEXT NOT NULL DEFAULT '{}',
    classes TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS ground_truth_events_version ON ground_truth_events(version, pgh_id);
CREATE TABLE IF NOT EXISTS storages (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    provider TEXT NOT NULL,
    category TEXT NOT NULL DEFAULT 'external',
    configuration TEXT NOT NULL DEFAULT '{}',
    created TEXT NOT NULL
);
"""

#: Tables in dependency order (for dumps and fingerprints).
TABLES = (
    "data_collections",
    "file_specifications",
    "projects",
    "task_tags",
    "data_files",
    "data_units",
    "tasks",
    "assignments",
    "uploads",
    "plugins",
    "plugin_releases",
    "agents",
    "jobs",
    "job_logs",
    "log_entries",
    "serve_applications",
    "models",
    "ground_truth_versions",
    "ground_truth_events",
    "storages",
)
