"""Surveys: the YAML schema and loader (schema, loader, sync), where a survey stands
(lifecycle), results (results, charts, export, public) and the `citizenbot surveys` command
(cli). The conversations are handlers.surveys (citizens) and handlers.survey_admin /
handlers.survey_new (staff); the tables are storage.models.surveys."""
