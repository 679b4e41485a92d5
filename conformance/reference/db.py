"""The SQLite database of the reference server: schema, indexes and loading a :class:`Dataset`.

The database lives in memory. Every sortable or searchable string has a ``*_lc`` shadow column
holding Python's ``str.lower()`` of it, so that case-insensitive sorting and literal substring
search (``instr``) never depend on SQLite's ASCII-only ``lower()`` or on ``LIKE`` wildcards.
Timestamps are stored in their wire form (``YYYY-MM-DDTHH:MM:SSZ``), which sorts correctly as text.
API keys are stored only as SHA-256 hex digests.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3

from .data import Dataset

SCHEMA = """
CREATE TABLE tenants (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL
);
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    label TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    revoked INTEGER NOT NULL,
    expires_at REAL
);
CREATE TABLE tariffs (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    name TEXT NOT NULL,
    name_lc TEXT NOT NULL,
    type TEXT NOT NULL,
    currency TEXT NOT NULL,
    isactive INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE tariff_rules (
    id INTEGER PRIMARY KEY,
    tariff_id INTEGER NOT NULL REFERENCES tariffs(id),
    position INTEGER NOT NULL,
    price REAL NOT NULL,
    unit TEXT NOT NULL,
    start_time TEXT,
    end_time TEXT,
    days TEXT NOT NULL
);
CREATE TABLE customers (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    id_lc TEXT NOT NULL,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    name TEXT NOT NULL,
    name_lc TEXT NOT NULL,
    email TEXT NOT NULL,
    email_lc TEXT NOT NULL,
    phone TEXT NOT NULL,
    phone_lc TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE stations (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    name TEXT NOT NULL,
    name_lc TEXT NOT NULL,
    address TEXT NOT NULL,
    address_lc TEXT NOT NULL,
    city TEXT NOT NULL,
    city_lc TEXT NOT NULL,
    state TEXT NOT NULL,
    state_lc TEXT NOT NULL,
    country TEXT NOT NULL,
    lat REAL NOT NULL,
    lng REAL NOT NULL,
    always_open INTEGER NOT NULL,
    opening_hours TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE charge_points (
    id TEXT PRIMARY KEY,
    station_id INTEGER NOT NULL REFERENCES stations(id),
    position INTEGER NOT NULL,
    status TEXT NOT NULL,
    last_updated TEXT NOT NULL
);
CREATE TABLE connectors (
    charge_point_id TEXT NOT NULL REFERENCES charge_points(id),
    id INTEGER NOT NULL,
    type TEXT NOT NULL,
    power_kw REAL NOT NULL,
    status TEXT NOT NULL,
    PRIMARY KEY (charge_point_id, id)
);
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    user_id TEXT NOT NULL,
    user_id_lc TEXT NOT NULL,
    charge_station_id INTEGER NOT NULL REFERENCES stations(id),
    charge_point_id TEXT NOT NULL,
    charge_point_id_lc TEXT NOT NULL,
    connector_id INTEGER NOT NULL,
    tariff_id INTEGER,
    status TEXT NOT NULL,
    start_time TEXT NOT NULL,
    end_time TEXT,
    energy_kwh REAL NOT NULL,
    cost REAL NOT NULL,
    currency TEXT NOT NULL
);
"""

INDEXES = """
CREATE INDEX tariffs_tenant_name ON tariffs (tenant_id, name_lc, id);
CREATE INDEX tariffs_tenant_type ON tariffs (tenant_id, type, id);
CREATE INDEX tariffs_tenant_created ON tariffs (tenant_id, created_at, id);
CREATE INDEX tariff_rules_tariff ON tariff_rules (tariff_id, position);
CREATE INDEX customers_tenant_id ON customers (tenant_id, id_lc, id);
CREATE INDEX customers_tenant_name ON customers (tenant_id, name_lc, id);
CREATE INDEX customers_tenant_email ON customers (tenant_id, email_lc, id);
CREATE INDEX customers_tenant_created ON customers (tenant_id, created_at, id);
CREATE INDEX stations_tenant_id ON stations (tenant_id, id);
CREATE INDEX stations_tenant_name ON stations (tenant_id, name_lc, id);
CREATE INDEX stations_tenant_city ON stations (tenant_id, city_lc, id);
CREATE INDEX stations_tenant_state ON stations (tenant_id, state_lc, id);
CREATE INDEX stations_tenant_created ON stations (tenant_id, created_at, id);
CREATE INDEX stations_tenant_lat_lng ON stations (tenant_id, lat, lng);
CREATE INDEX charge_points_station ON charge_points (station_id, id);
CREATE INDEX sessions_tenant_id ON sessions (tenant_id, id);
CREATE INDEX sessions_tenant_start ON sessions (tenant_id, start_time, id);
CREATE INDEX sessions_tenant_energy ON sessions (tenant_id, energy_kwh, id);
CREATE INDEX sessions_tenant_cost ON sessions (tenant_id, cost, id);
CREATE INDEX sessions_tenant_status ON sessions (tenant_id, status, start_time, id);
CREATE INDEX sessions_tenant_station ON sessions (tenant_id, charge_station_id, start_time, id);
CREATE INDEX sessions_tenant_user ON sessions (tenant_id, user_id, start_time, id);
CREATE INDEX customers_search ON customers (tenant_id, name_lc, phone_lc, email_lc);
CREATE INDEX stations_search ON stations (tenant_id, name_lc, address_lc, city_lc, state_lc);
CREATE INDEX sessions_search ON sessions (tenant_id, user_id_lc, charge_point_id_lc);
"""
#: The ``*_search`` indexes hold every search column of their table (tariffs_tenant_name does for tariffs): the COUNT(*) of a search reads
#: the narrow index instead of every row (a fifth of the time at 100k records).


def key_hash(key: str) -> str:
    """The stored form of an API key."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def connect() -> sqlite3.Connection:
    """A fresh, empty in-memory database with the schema."""
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.executescript(SCHEMA)
    return conn


def load(conn: sqlite3.Connection, data: Dataset) -> None:
    """Insert ``data`` and build the indexes (after the bulk insert, which is faster)."""
    with conn:
        conn.executemany("INSERT INTO tenants (id, name) VALUES (?, ?)",
                         [(t["id"], t["name"]) for t in data.tenants])
        conn.executemany(
            "INSERT INTO api_keys (tenant_id, label, key_hash, revoked, expires_at) VALUES (?, ?, ?, ?, ?)",
            [(k["tenant_id"], k["label"], key_hash(k["key"]), int(k["revoked"]), k["expires_at"])
             for k in data.api_keys])
        conn.executemany(
            "INSERT INTO tariffs (id, tenant_id, name, name_lc, type, currency, isactive, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(t["id"], t["tenant_id"], t["name"], t["name"].lower(), t["type"], t["currency"],
              int(t["isactive"]), t["created_at"]) for t in data.tariffs])
        conn.executemany(
            "INSERT INTO tariff_rules (id, tariff_id, position, price, unit, start_time, end_time, days)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(r["id"], r["tariff_id"], r["position"], r["price"], r["unit"], r["start_time"], r["end_time"],
              json.dumps(r["days"])) for r in data.tariff_rules])
        conn.executemany(
            "INSERT INTO customers (id, id_lc, tenant_id, name, name_lc, email, email_lc, phone, phone_lc,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(c["id"], c["id"].lower(), c["tenant_id"], c["name"], c["name"].lower(), c["email"],
              c["email"].lower(), c["phone"], c["phone"].lower(), c["created_at"]) for c in data.customers])
        conn.executemany(
            "INSERT INTO stations (id, tenant_id, name, name_lc, address, address_lc, city, city_lc, state,"
            " state_lc, country, lat, lng, always_open, opening_hours, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(s["id"], s["tenant_id"], s["name"], s["name"].lower(), s["address"], s["address"].lower(),
              s["city"], s["city"].lower(), s["state"], s["state"].lower(), s["country"], s["lat"], s["lng"],
              int(s["always_open"]), s["opening_hours"], s["created_at"]) for s in data.stations])
        conn.executemany(
            "INSERT INTO charge_points (id, station_id, position, status, last_updated) VALUES (?, ?, ?, ?, ?)",
            [(p["id"], p["station_id"], p["position"], p["status"], p["last_updated"])
             for p in data.charge_points])
        conn.executemany(
            "INSERT INTO connectors (charge_point_id, id, type, power_kw, status) VALUES (?, ?, ?, ?, ?)",
            [(c["charge_point_id"], c["id"], c["type"], c["power_kw"], c["status"]) for c in data.connectors])
        conn.executemany(
            "INSERT INTO sessions (id, tenant_id, user_id, user_id_lc, charge_station_id, charge_point_id,"
            " charge_point_id_lc, connector_id, tariff_id, status, start_time, end_time, energy_kwh, cost,"
            " currency) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(s["id"], s["tenant_id"], s["user_id"], s["user_id"].lower(), s["charge_station_id"],
              s["charge_point_id"], s["charge_point_id"].lower(), s["connector_id"], s["tariff_id"],
              s["status"], s["start_time"], s["end_time"], s["energy_kwh"], s["cost"], s["currency"])
             for s in data.sessions])
        conn.executescript(INDEXES)
    conn.execute("ANALYZE")


def build(data: Dataset) -> sqlite3.Connection:
    """A loaded in-memory database for ``data``."""
    conn = connect()
    load(conn, data)
    return conn
