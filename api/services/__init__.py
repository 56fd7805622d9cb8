"""The API's use cases: keyword-only functions the routers call (parse, call a service, shape the response).
Services check what the matrix cannot (another board, a document kind), raise ``ProblemError`` for the caller,
and write the audit trail through ``api.audit``. They depend on ``store`` and ``domain`` only: the case workflow
is started and updated by name (``domain.case_contract``)."""
