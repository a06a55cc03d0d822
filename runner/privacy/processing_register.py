"""The register of processing activities (GDPR art. 30) as data: which personal data klachten
stores, where, why and for how long.

It is generated, so it cannot drift: the process data from the model's declaration
(``privacy.persoonsgegevens`` in ``instellingen.json``, with its ``bewaartermijn_jaren``),
the database from :data:`PERSONAL_COLUMNS`. ``tests/test_privacy_register.py`` fails when a
column of the schema that can hold text is neither listed there nor in
:data:`NO_PERSONAL_DATA`, and when a form field is neither declared personal nor declared
free of personal data in the model.
"""

from __future__ import annotations

from dataclasses import dataclass

from runner.accounts.users import ADMINISTER, Account
from runner.bpmn.errors import Forbidden
from runner.definition.model import Model
from runner.notices.mail import MAIL_FOLDER
from runner.service import Klachten

# How long, by who the data is about.
MEMBER, STAFF, COUNTER = "lid", "medewerker", "teller"
STATE_COLUMNS = "instances.state (lopend dossier), instances.archive (afgesloten dossier)"
WHOSE_LABELS = {MEMBER: "Gegevens van het lid", STAFF: "Gegevens van medewerkers",
                COUNTER: "Tellers van de snelheidsbeperking"}

# "table.column": (whose, what, why)
PERSONAL_COLUMNS: dict[str, tuple[str, str, str]] = {
    "dossiers.complainant_name": (MEMBER, "Naam van het lid",
                                  "Alle dossiers van een persoon terugvinden (inzageverzoek)"),
    "dossiers.complainant_email": (MEMBER, "E-mailadres van het lid",
                                   "Alle dossiers van een persoon terugvinden (inzageverzoek)"),
    "dossiers.member_number": (MEMBER, "Lidnummer",
                               "Alle dossiers van een persoon terugvinden (inzageverzoek)"),
    "dossiers.access_code_hash": (MEMBER, "Toegangscode van het lid (enkel als hash)",
                                  "Het lid toegang geven tot de statuspagina"),
    "dossiers.legal_hold_reason": (MEMBER, "Reden van een juridische blokkering (vrije tekst)",
                                   "Verantwoorden waarom een dossier niet gewist wordt"),
    "instances.state": (MEMBER, "Procesgegevens van een lopend dossier (zie de procesgegevens "
                                "hieronder)", "De klachtenprocedure uitvoeren"),
    "instances.archive": (MEMBER, "Procesgegevens van een afgesloten dossier, gecomprimeerd",
                          "Het dossier tonen en een inzageverzoek beantwoorden"),
    "outbox.recipient": (MEMBER, "E-mailadres of naam en postadres van het lid",
                         "Berichten bezorgen"),
    "outbox.subject": (MEMBER, "Onderwerp van een bericht aan het lid", "Berichten bezorgen"),
    "outbox.body": (MEMBER, "Tekst van een bericht aan het lid (kan de klacht en het antwoord "
                            "bevatten)", "Berichten bezorgen en kunnen tonen wat verstuurd werd"),
    "outbox.last_error": (MEMBER, "Foutmelding van de mailserver (kan het e-mailadres "
                                  "bevatten)", "Een niet bezorgd bericht opvolgen"),
    "audit_log.details": (MEMBER, "Details van acties (berichten en redenen van het lid)",
                          "Verantwoorden wie wat deed in het dossier"),
    "incidents.error": (MEMBER, "Foutmelding bij een dossier (kan gegevens van het lid "
                                "bevatten)", "Fouten in een dossier oplossen"),
    "recommendations.text": (MEMBER, "Aanbeveling (vrije tekst, hoort geen persoonsgegevens "
                                     "te bevatten)", "Het verbeterregister"),
    "recommendations.rejection_reason": (MEMBER, "Reden van afwijzing van een aanbeveling "
                                                 "(vrije tekst)", "Het verbeterregister"),
    "recommendation_notes.text": (MEMBER, "Opvolgnota bij een aanbeveling (vrije tekst)",
                                  "Het verbeterregister"),
    "instance_migrations.previous_state": (MEMBER, "Procesgegevens van een dossier vóór een "
                                                   "migratie naar een nieuwe versie",
                                           "Een migratie exact kunnen terugdraaien"),
    "instance_migrations.changes": (MEMBER, "Wat een migratie in de procesgegevens wijzigde",
                                    "Verantwoorden wat een migratie deed"),
    "dossiers.complaint_text": (MEMBER, "De tekst van de klacht, om dossiers te vinden op "
                                        "woorden uit de klacht", "Elk dossier kunnen vinden"),
    "saved_views.user": (STAFF, "Wie een weergave van de dossierlijst bewaarde",
                         "De eigen weergaven tonen"),
    "saved_views.name": (STAFF, "Naam die een medewerker een weergave gaf",
                         "De eigen weergaven tonen"),
    "saved_views.query": (STAFF, "Bewaarde filters en zoekterm van de dossierlijst (een "
                                 "zoekterm kan een naam zijn)", "De eigen weergaven tonen"),
    "form_submissions.content_key": (MEMBER, "Vingerafdruk (SHA-256) van e-mailadres, naam en "
                                             "tekst van een ingediend formulier (30 minuten)",
                                     "Een tweede verzending van hetzelfde formulier herkennen"),
    "form_submissions.sealed_code": (MEMBER, "Toegangscode, versleuteld met een sleutel die "
                                             "enkel de browser van het lid heeft (kort)",
                                     "De toegangscode eenmaal tonen na het indienen"),
    "dossier_notes.text": (MEMBER, "Interne notitie of samenvatting van een contact met het "
                                   "lid (vrije tekst, kan gezondheidsgegevens bevatten)",
                           "De klacht behandelen: wat buiten de procedure gezegd of gedaan "
                           "werd"),
    "task_drafts.text": (MEMBER, "Concept van een antwoord of motivering, nog niet verstuurd "
                                 "(gewist zodra de taak afloopt)",
                         "Getypt werk niet verliezen"),
    "inquiries.question": (MEMBER, "Vraag aan een dienst (met het pseudoniem in plaats van het "
                                   "lid) of aan het lid (vrije tekst)",
                           "De klacht onderzoeken (stap 4); gewist met het dossier"),
    "inquiries.shared": (MEMBER, "Feiten van het dossier die de bemiddelaar met een dienst deelt, "
                                 "gepseudonimiseerd", "De dienst laten antwoorden zonder de "
                                                      "identiteit van het lid"),
    "inquiries.answer": (MEMBER, "Antwoord van een dienst of van het lid (vrije tekst)",
                         "De klacht onderzoeken (stap 4); gewist met het dossier"),
    "dossier_pseudonyms.pseudonym": (MEMBER, "Willekeurig pseudoniem van het lid in één dossier "
                                             "(niet af te leiden)",
                                     "Diensten raadplegen zonder de identiteit van het lid; "
                                     "vergeten bij het wissen"),
    "inquiries.asked_by": (STAFF, "Welke bemiddelaar een dienst raadpleegde of het lid iets "
                                  "vroeg",
                           "Verantwoorden wie wat deed; de bemiddelaar verwittigen"),
    "inquiries.answered_by": (STAFF, "Welke contactpersoon van een dienst antwoordde",
                              "Verantwoorden wie wat deed"),
    "users.name": (STAFF, "Gebruikersnaam van een medewerker", "Aanmelden en rollen"),
    "users.password_hash": (STAFF, "Wachtwoord (enkel als argon2-hash)", "Aanmelden"),
    "users.email": (STAFF, "E-mailadres van een medewerker", "Een link om het wachtwoord "
                                                             "opnieuw in te stellen sturen"),
    "users.sso_subject": (STAFF, "Kenmerk van de medewerker bij de centrale aanmelding (SSO)",
                          "Aanmelden via de identiteitsdienst van het ziekenfonds"),
    "api_tokens.token_hash": (STAFF, "API-token (enkel als SHA-256-hash)", "Toegang tot de API"),
    "api_tokens.label": (STAFF, "Naam die een medewerker een API-token gaf",
                         "De eigen tokens herkennen en intrekken"),
    "password_resets.token_hash": (STAFF, "Link om het wachtwoord opnieuw in te stellen (enkel "
                                          "als hash, eenmalig, kort geldig)",
                                   "Een vergeten of verdacht wachtwoord vervangen"),
    "password_resets.requested_by": (STAFF, "Wie de link aanvroeg (de medewerker zelf of een "
                                            "beheerder)", "Verantwoorden wie wat deed"),
    "access_log.user": (STAFF, "Wie een dossier inzag", "Toegangslogboek (beroepsgeheim)"),
    "audit_log.actor": (STAFF, "Wie een actie deed", "Verantwoorden wie wat deed"),
    "open_tasks.claimed_by": (STAFF, "Wie een taak opnam", "Het werk verdelen"),
    "dossiers.owner": (STAFF, "De bemiddelaar die een dossier behandelt",
                       "Het werk verdelen"),
    "ended_tasks.ended_by": (STAFF, "Wie een taak voltooide",
                             "Wie een taak nog open had, zeggen door wie ze voltooid werd"),
    "recommendations.owner": (STAFF, "Verantwoordelijke voor een aanbeveling",
                              "Het verbeterregister opvolgen"),
    "recommendation_notes.author": (STAFF, "Auteur van een opvolgnota",
                                    "Het verbeterregister opvolgen"),
    "dossier_notes.author": (STAFF, "Auteur van een notitie of contact",
                             "Verantwoorden wie wat deed"),
    "task_drafts.user": (STAFF, "Wie een concept typte (alleen die persoon ziet het)",
                         "Getypt werk niet verliezen"),
    "instance_migrations.actor": (STAFF, "Wie een dossier migreerde",
                                  "Verantwoorden wie wat deed"),
    "instance_migrations.reverted_by": (STAFF, "Wie een migratie terugdraaide",
                                        "Verantwoorden wie wat deed"),
    "outbox.sealed_code": (MEMBER, "Toegangscode in een bericht dat nog moet vertrekken "
                                   "(versleuteld, gewist zodra het vertrokken is)",
                           "Het lid zijn toegangscode bezorgen"),
    "web_sessions.token_hash": (STAFF, "Aanmelding van een medewerker of statuspas van een "
                                       "lid (enkel als hash)",
                                "Sessies bij afmelden of uitschakelen kunnen beëindigen"),
    "rate_limit_events.key": (COUNTER, "Netwerkadres of dossiernummer (enkel als hash)",
                              "Misbruik van de statuspagina en de aanmelding beperken"),
}

# Columns that can hold text but never hold personal data: codes, names of model elements,
# statuses, hashes of model files, figures.
NO_PERSONAL_DATA = frozenset({
    "definitions.content_hash", "definitions.files", "definitions.spec",
    "dossiers.number", "dossiers.category", "dossiers.channel", "dossiers.language",
    "dossiers.outcome", "dossiers.state", "dossiers.step", "users.roles", "access_log.what",
    "audit_log.action", "audit_log.element", "audit_log.step",
    "dossier_facts.received_month", "dossier_facts.category", "dossier_facts.channel",
    "dossier_facts.inadmissible_reason", "dossier_facts.answer_outcome",
    "dossier_facts.national_outcome", "dossier_facts.outcome",
    "incidents.element", "incidents.step",
    "instances.serializer_version", "instances.step",
    "outbox.kind", "outbox.language", "outbox.channel", "outbox.code", "outbox.status",
    "outbox.delivery", "recommendations.service", "recommendations.status",
    "open_tasks.id", "open_tasks.spec_name", "open_tasks.title", "open_tasks.lane",
    "open_tasks.step", "open_tasks.form", "waiting_messages.name",
    "ended_tasks.id", "ended_tasks.spec_name", "ended_tasks.form",
    "instance_migrations.previous_serializer_version", "form_submissions.form_key",
    "dossier_notes.contact", "dossier_notes.direction", "task_drafts.task_id",
    "task_drafts.field",
    "outbox.audience", "inquiries.kind", "inquiries.reference", "inquiries.service",
})


@dataclass(frozen=True)
class Group:
    """The lines about one kind of person, with how long their data is kept."""

    title: str
    how_long: str
    lines: list[Processing]


@dataclass(frozen=True)
class Processing:
    """One line of the register."""

    what: str
    where: str
    why: str
    how_long: str
    whose: str


def how_long(whose: str, years: int) -> str:
    return {
        MEMBER: f"{years} jaar na de afsluiting van het dossier, daarna gewist (tenzij "
                "juridische blokkering); eerder op verzoek van het lid",
        STAFF: "Zolang de account bestaat; in audit en toegangslogboek zolang het dossier",
        COUNTER: "Enkel binnen het venster van de snelheidsbeperking",
    }[whose]


def register(model: Model) -> list[Processing]:
    """The register for the newest version of the model."""
    years = int(model.settings.get("bewaartermijn_jaren", 5))
    privacy = model.settings.get("privacy", {})
    lines = [Processing(item["wat"], f"procesgegeven {item['gegeven']}",
                        item["doel"], how_long(MEMBER, years), MEMBER)
             for item in privacy.get("persoonsgegevens", [])]
    lines += [Processing(what, where, why, how_long(whose, years), whose)
              for where, (whose, what, why) in PERSONAL_COLUMNS.items()]
    lines.append(Processing(
        "Verstuurde e-mails (.eml-bestanden) met adres en tekst van het lid",
        f"map {MAIL_FOLDER}/ in de instance-map (zonder mailserver)",
        "Berichten bezorgen zonder mailserver", how_long(MEMBER, years), MEMBER))
    return lines


class ProcessingRegister:
    def __init__(self, klachten: Klachten) -> None:
        self.klachten = klachten

    def groups(self, account: Account) -> tuple[list[Group], str]:
        """The register by whose data it is, and its legal basis, for a beheerder."""
        if not account.may(ADMINISTER):
            raise Forbidden(f"{account.name} mag het verwerkingsregister niet lezen")
        model = self.klachten.latest_model()
        lines = register(model)
        groups = [Group(title, next(line.how_long for line in lines if line.whose == whose),
                        [line for line in lines if line.whose == whose])
                  for whose, title in WHOSE_LABELS.items()]
        return groups, model.settings.get("privacy", {}).get("rechtsgrond", "")
