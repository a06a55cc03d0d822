"""The beheerder's work: lint and deploy ``processes/``, the deployed versions with their
running dossiers, the open incidents, and the users."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select

from runner.accounts.users import ADMINISTER, Account, Accounts
from runner.bpmn.errors import Conflict, Forbidden, NotFound, ValidationFailed
from runner.bpmn.store import Definition, Incident, Instance, transaction
from runner.definition.model import default_processes_dir
from runner.design.dossier_migration import DossierMigrations, Selection
from runner.service import Deployment, Klachten, _iso
from runner.store import Dossier

MAX_LISTED_INCIDENTS = 200


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

    def open_incidents(self, account: Account) -> list[dict[str, Any]]:
        """The open incidents of every dossier, oldest first: what a model failure left to
        fix (deploy a fixed version, migrate the dossier, retry it on its page)."""
        self._check(account)
        with transaction(self.klachten.factory) as session:
            rows = session.execute(
                select(Dossier.number, Incident.element, Incident.error, Incident.created_at)
                .join(Dossier, Dossier.id == Incident.dossier_id)
                .where(Incident.resolved_at.is_(None))
                .order_by(Incident.created_at, Incident.id).limit(MAX_LISTED_INCIDENTS)).all()
            return [{"dossiernummer": number, "element": element, "fout": error[:300],
                     "sinds": _iso(at)} for number, element, error, at in rows]

    def lint(self, account: Account) -> list[str]:
        from runner.design.lint import lint

        self._check(account)
        return [str(problem) for problem in lint(default_processes_dir(),
                                                 self.klachten.plugins.operators)]

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
        if name == account.name:
            raise Forbidden("u kunt uw eigen rollen niet wijzigen")
        self.accounts.set_roles(name, roles)

    def set_disabled(self, account: Account, name: str, disabled: bool) -> None:
        self._check(account)
        if name == account.name and disabled:
            raise Forbidden("u kunt uw eigen account niet uitschakelen")
        self.accounts.set_disabled(name, disabled)

    def reset_link(self, account: Account, name: str) -> str:
        """A single-use link for ``name`` to set a new password (after re-enabling the
        account, or for a user who has no e-mail address); the beheerder hands it over."""
        self._check(account)
        return self.accounts.reset_link(name, account.name)

    def set_email(self, account: Account, name: str, email: str) -> None:
        self._check(account)
        self.accounts.set_email(name, email)

    def migration(self, account: Account, to: str, numbers: str, from_version: str,
                  new_rules: bool, execute: bool) -> dict[str, Any]:
        """The dry run (or, with ``execute``, the migration) of the dossiers given by number
        (``numbers``: separated by spaces, commas or lines) or of every running dossier of
        ``from_version``, to version ``to``; form values as typed, checked here."""
        self._check(account)
        selection = Selection(tuple(numbers.replace(",", " ").split()),
                              _version(from_version, "van") if from_version.strip() else None)
        target = _version(to, "naar")
        migrations = DossierMigrations(self.klachten)
        try:
            if execute:
                return migrations.migrate(target, selection, account.name, new_rules)
            return migrations.plan(target, selection, new_rules)
        except NotFound as err:
            raise ValidationFailed({"dossiers": str(err)}, {"dossiers": "onbekend"}) from err
        except ValidationFailed as err:
            raise ValidationFailed(err.reasons, {"dossiers": "selectie"}) from err

    def revert_migration(self, account: Account, numbers: str) -> list[dict[str, Any]]:
        """Put the dossiers back as they were before their last migration."""
        self._check(account)
        listed = numbers.replace(",", " ").split()
        if not listed:
            raise ValidationFailed({"terug": "geen dossiers"}, {"terug": "selectie"})
        try:
            return DossierMigrations(self.klachten).revert(listed, account.name)
        except NotFound as err:
            raise ValidationFailed({"terug": str(err)}, {"terug": "onbekend"}) from err
        except Conflict as err:
            raise ValidationFailed({"terug": str(err)}, {"terug": "conflict"}) from err


def _version(value: str, field: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValidationFailed({field: f"geen versienummer: {value!r}"},
                               {field: "versie"}) from None
