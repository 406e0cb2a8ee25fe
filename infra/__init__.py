"""Infrastructure every package may use: the database engine, `Base`, sessions, migrations, start-up locks,
the app-wide `AppKey`s. It imports only `config`."""

from infra.db import Base, create_engine, create_sessionmaker, iso, utcnow

__all__ = ["Base", "create_engine", "create_sessionmaker", "iso", "utcnow"]
