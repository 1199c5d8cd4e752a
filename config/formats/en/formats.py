"""Date formats for the admin: ISO-like, and every time with its zone ("2026-11-30 20:15:03 CET"), since staff in
several countries read the same pages and OCPI data is exchanged in UTC."""

DATETIME_FORMAT = "Y-m-d H:i:s T"
SHORT_DATETIME_FORMAT = "Y-m-d H:i T"
DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
TIME_FORMAT = "H:i:s"
