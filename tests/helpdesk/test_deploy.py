"""Production configuration: `check --deploy` is clean with .env.example, and docker-compose.yml is sound."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


def test_check_deploy_is_clean_with_the_production_values_of_env_example():
    example = _env_example()
    assert example["DEBUG"] == "false" and example["SECRET_KEY"].startswith("change-me")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "HELPDESK_"))}
    # The example's key is a placeholder a deployment must replace; stand in a real one.
    env.update(example, SECRET_KEY=secrets.token_urlsafe(64))
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("name, refused, accepted, message", [
    ("WEB_THREADS", ("0", "257"), "4", "WEB_THREADS must be between 1 and 256, not {}"),
    ("API_TOKEN_CACHE_SECONDS", ("-1", "61"), "0", "API_TOKEN_CACHE_SECONDS must be between 0 and 60, not {}"),
])
def test_a_value_out_of_range_stops_start_up_with_a_clear_message(name, refused, accepted, message):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "HELPDESK_"))}
    for value in (*refused, accepted):
        result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env={**env, name: value},
                                capture_output=True, text=True, timeout=120)
        assert (result.returncode == 0) is (value == accepted), result.stdout + result.stderr
        if value != accepted:
            assert message.format(value) in result.stderr


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_describes_the_production_services():
    services = _compose()["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    for name in ("postgres", "redis", "web"):
        check = services[name]["healthcheck"]
        assert check["test"] and check["interval"] and check["retries"], name
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "ping" in services["redis"]["healthcheck"]["test"]
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    for name in ("web", "worker", "beat"):
        service = services[name]
        assert service["environment"]["DATABASE_URL"].startswith("postgres://"), name
        assert service["environment"]["REDIS_URL"].startswith("redis://"), name
        assert service["env_file"] == ".env", name
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy", name
        assert service["depends_on"]["redis"]["condition"] == "service_healthy", name


def _command(service) -> str:
    command = service["command"]
    return " ".join(command) if isinstance(command, list) else command


def test_compose_runs_the_asgi_server_one_worker_and_one_beat():
    services = _compose()["services"]
    assert _command(services["web"]).startswith("uvicorn helpdesk.asgi:application ")
    assert "--host 0.0.0.0" in _command(services["web"])
    assert _command(services["worker"]).startswith("celery -A helpdesk worker")
    assert _command(services["beat"]).startswith("celery -A helpdesk beat")
    assert "replicas" not in str(services["beat"].get("deploy", {}))  # exactly one scheduler
    assert _command(services["migrate"]) == "python manage.py migrate --noinput"
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert {"pgdata", "redisdata", "media"} <= set(_compose()["volumes"])


def _documented_commands() -> str:
    """The shell text of README.md and the docs it links, where production commands are documented."""
    readme = (ROOT / "README.md").read_text()
    texts = [readme]
    for link in re.findall(r"\((docs/[\w./-]+\.md)\)", readme):
        if (ROOT / link).exists():
            texts.append((ROOT / link).read_text())
    texts.append((ROOT / "docs" / "production.md").read_text())
    return "\n".join(texts)


def test_compose_commands_are_the_documented_ones():
    documented = _documented_commands()
    services = _compose()["services"]
    for name in ("web", "worker", "beat", "migrate"):
        # The command up to its first option is what a reader types to run that process.
        head = _command(services[name]).split(" --")[0].strip()
        assert head in documented, (name, head)
    assert "docker compose up" in documented
