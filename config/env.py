"""The one django-environ instance, shared by every settings module (HackSoft styleguide).

Every knob read here is documented in ``.env.example``.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# A .env file in the project folder is read when present; real environment variables always win.
_env_file = BASE_DIR / ".env"
if _env_file.exists():
    environ.Env.read_env(str(_env_file), overwrite=False)
