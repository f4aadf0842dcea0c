"""What every test, benchmark and nox session shares, each fact in one module.

- `environ`: the developer's own settings, kept out of every run; the test DSN.
- `beat`: apply beat entries the way `celery beat` does (`python -m harness.beat` in a process).
- `ports`: a free loopback port.
"""
