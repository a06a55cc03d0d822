"""The beheerder's work: lint and deploy ``processes/``, the deployed versions with their
running dossiers, and the users."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select

from .accounts import ADMINISTER, Account, Accounts
from .definitions import default_processes_dir
from .errors import Forbidden
from .service import Deployment, Klachten, _iso
from .store import Definition, Instance, transaction


class Admin:
    def __init__(self, klachten: Klachten, accounts: Accounts):
        self.klachten = klachten
        self.accounts = accounts

    @staticmethod
    def _check(account: Account) -> None:
        if not account.may(ADMINISTER):
            raise Forbidden(f"{account.name} is geen beheerder")

    def versions(self, account: Account) -> list[dict[str, Any]]:
        """Every deployed version, newest first, with the number of running dossiers."""
        self._check(account)
        with transaction(self.klachten.factory) as session:
            rows = session.execute(
                select(Definition.id, Definition.deployed_at, Definition.content_hash,
                       func.count(Instance.id))
                .outerjoin(Instance, and_(Instance.definition_id == Definition.id,
                                          Instance.completed.is_(False)))
                .group_by(Definition.id, Definition.deployed_at, Definition.content_hash)
                .order_by(Definition.id.desc())).all()
            return [{"versie": id_, "gedeployed_op": _iso(at), "hash": digest[:12],
                     "lopende_dossiers": running} for id_, at, digest, running in rows]

    def lint(self, account: Account) -> list[str]:
        from .lint import lint
        from .operators import OPERATORS

        self._check(account)
        return [str(problem) for problem in lint(default_processes_dir(), OPERATORS)]

    def deploy(self, account: Account) -> Deployment:
        """Deploy ``processes/`` when it lints clean (a new version only when it changed);
        :class:`ModelRejected` with every problem when it does not."""
        self._check(account)
        return self.klachten.deploy(default_processes_dir())

    def add_user(self, account: Account, name: str, roles: list[str], password: str) -> None:
        self._check(account)
        self.accounts.add(name, roles, password)

    def set_roles(self, account: Account, name: str, roles: list[str]) -> None:
        self._check(account)
        self.accounts.set_roles(name, roles)

    def set_disabled(self, account: Account, name: str, disabled: bool) -> None:
        self._check(account)
        if name == account.name and disabled:
            raise Forbidden("u kunt uw eigen account niet uitschakelen")
        self.accounts.set_disabled(name, disabled)
