from tests.api.conftest import tokens_for  # noqa: F401
