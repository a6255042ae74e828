"""The SQLite sinks (embedded mode): files under TRENDMON_HOME."""
