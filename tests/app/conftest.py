from tests.qt_support import close_session_loop, qloop  # noqa: F401 - fixtures
