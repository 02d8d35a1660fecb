-- department.*: each department's SORT (500 unless set, as on portals) and
-- whether its head was removed (portals then show UF_HEAD "0", where a
-- department that never had one shows no UF_HEAD).
ALTER TABLE departments ADD COLUMN sort BIGINT NOT NULL DEFAULT 500;
ALTER TABLE departments ADD COLUMN head_cleared BOOLEAN NOT NULL DEFAULT FALSE;
