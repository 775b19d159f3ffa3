-- What an overseer needs to explain a past permission decision (別表第二 names requesters and providers by kind):
-- every registration or change of an agency, by whom and when, with the registration before (none for a first one) and
-- after it as JSON; and every permission table the core started with, its version, the SHA-256 of its file and the file.
-- Both are written rarely (an operator's PUT, a start), never per inquiry, and are append-only as the records are.
CREATE TABLE agency_history (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_id TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    old_value TEXT NULL,
    new_value TEXT NOT NULL
);
CREATE INDEX agency_history_by_agency ON agency_history (agency_id, seq);
CREATE TABLE permission_table_loads (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    version TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    loaded_at TEXT NOT NULL,
    content TEXT NOT NULL
);
CREATE TRIGGER agency_history_no_update BEFORE UPDATE ON agency_history
BEGIN SELECT RAISE(ABORT, '機関の登録履歴は変更・削除できません / the agency history is append-only'); END;
CREATE TRIGGER agency_history_no_delete BEFORE DELETE ON agency_history
BEGIN SELECT RAISE(ABORT, '機関の登録履歴は変更・削除できません / the agency history is append-only'); END;
CREATE TRIGGER permission_table_loads_no_update BEFORE UPDATE ON permission_table_loads
BEGIN SELECT RAISE(ABORT, '照会許可表の読込履歴は変更・削除できません / the permission table loads are append-only'); END;
CREATE TRIGGER permission_table_loads_no_delete BEFORE DELETE ON permission_table_loads
BEGIN SELECT RAISE(ABORT, '照会許可表の読込履歴は変更・削除できません / the permission table loads are append-only'); END;
