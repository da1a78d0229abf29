"""SQL storage: tables, keyword-only async repo functions (which never commit), migrations."""
