"""Long-lived objects of a control-plane process, built once from settings."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from controlplane.config import Settings
from controlplane.db import make_engine, make_session_factory


@dataclass
class ControlPlane:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]

    def close(self) -> None:
        self.engine.dispose()


def build_controlplane(settings: Settings) -> ControlPlane:
    engine = make_engine(settings.database_url)
    return ControlPlane(settings=settings, engine=engine, sessions=make_session_factory(engine))
