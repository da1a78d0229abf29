"""Surveys: the YAML schema and loader (schema, loader, sync), where a survey stands
(lifecycle), results (results, charts, export, public) and the `citizenbot surveys` command
(cli). The conversations are handlers.surveys.answer (citizens) and handlers.surveys.manage /
handlers.surveys.create (staff); the tables are storage.models.surveys."""
