"""A realistic, deterministic demo directory for a group map (FORMATS.md, "Directory CSV").

`generate(gm, seed)` gives the contacts of the group of `gm`: for every site, the numbers
of the whole site (duty director, reception and security, on-site IT) and a direct line
for each care service, with the on-call doctor's mobile for the vital ones; the crisis
cell's own lines; and the external contacts a Belgian hospital group calls on such a
night (the provincial governor, the federal police's computer crime unit, the local
police zone, CERT.be, the data protection authority, the EHR vendor, the insurer, the
press…). People are made up; numbers are fictitious but shaped like real Belgian ones.

Same (map, seed), same contacts. No Django here.
"""

from __future__ import annotations

import random

from .contacts_csv import Contact
from .groupmap import GroupMap, Service, Site

__all__ = ["generate"]

#: Telephone zones of the demo group's towns; other sites draw one from the province's.
_ZONE = {
    "ARL": "063", "MAR": "084", "LIB": "061", "BAS": "061", "VIR": "063", "CSL": "063",
    "NEU": "061", "SOD": "061", "CHY": "084", "HAB": "063", "BOU": "061", "BTX": "061",
    "CRA": "063", "CRM": "084", "CRL": "061", "DC": "063",
}  # fmt: skip
_ZONES = ("063", "084", "061", "080", "086")

_FIRST = (
    "Anne", "Marc", "Sophie", "Luc", "Isabelle", "Thomas", "Nathalie", "Olivier", "Catherine",
    "Julien", "Valérie", "Pierre", "Sarah", "Michel", "Caroline", "Nicolas", "Laurence",
    "Benoît", "Emilie", "François", "Martine", "Vincent", "Aurélie", "Christophe",
)  # fmt: skip
_LAST = (
    "Lambert", "Dubois", "Collard", "Lejeune", "Thiry", "Gérard", "Jacquemin", "Renard",
    "Pirotte", "Marchal", "Goffin", "Henrotte", "Lecomte", "Schmitz", "Wagner", "Georges",
    "Dumont", "Mathieu", "Lemaire", "Hubert", "Poncelet", "Noël", "Simon", "Closset",
)  # fmt: skip

#: Care service kinds whose on-call doctor is listed too (vital care, round the clock).
_ON_CALL = {"icu", "emergency", "surgery", "maternity", "neonatology", "cath_lab", "transfusion"}
#: Care service kinds open round the clock.
_ROUND_THE_CLOCK = _ON_CALL | {
    "ward", "lab", "radiology", "pharmacy", "dialysis", "residents_care", "psychiatric_care",
    "medication_round", "admissions",
}  # fmt: skip
_OFFICE_HOURS = "lun.–ven. 8 h–17 h"


class _Numbers:
    """Direct lines of one site: the site's prefix and four digits that never repeat."""

    def __init__(self, zone: str, rng: random.Random):
        self.zone = zone
        self.prefix = f"{rng.randint(21, 59)}"
        self.next = rng.randint(10, 40) * 100
        self.rng = rng

    def direct(self) -> tuple[str, str]:
        """A direct line and the same line's internal extension."""
        self.next += self.rng.randint(1, 9)
        ext = f"{self.next:04d}"
        return f"{self.zone} {self.prefix} {ext[:2]} {ext[2:]}", ext


def _mobile(rng: random.Random) -> str:
    pairs = " ".join(f"{rng.randint(10, 99)}" for _ in range(3))
    return f"04{rng.randint(70, 99)} {pairs}"


def _person(rng: random.Random) -> str:
    return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"


def generate(gm: GroupMap, seed: int = 1) -> list[Contact]:
    """The demo directory of `gm`, in directory order (see the module docstring)."""
    rng = random.Random(seed * 7919 + 17)
    services: dict[str, list[Service]] = {}
    for s in gm.services:
        services.setdefault(s.site, []).append(s)
    contacts: list[Contact] = []
    for site in gm.sites:
        contacts += _site(site, services.get(site.id, []), rng)
    hq = next((s for s in gm.sites if s.kind in ("hospital", "clinic")), None)
    contacts += _cell(hq, rng)
    contacts += _external()
    return contacts


def _site(site: Site, services: list[Service], rng: random.Random) -> list[Contact]:
    numbers = _Numbers(_ZONE.get(site.id) or rng.choice(_ZONES), rng)
    out = [
        Contact(
            code=f"{site.id}-{suffix}",
            kind="internal",
            name=name,
            phone=phone,
            phone_alt=alt,
            site=site.id,
            function=function,
            available=available,
            position=i,
        )
        for i, (suffix, name, phone, alt, function, available) in enumerate(
            _site_wide(site, numbers, rng), start=1
        )
    ]
    for service in services:
        phone, ext = numbers.direct()
        round_the_clock = service.kind in _ROUND_THE_CLOCK
        desk = "Poste infirmier" if round_the_clock else "Secrétariat"
        out.append(
            Contact(
                code=f"{service.id}-POSTE",
                kind="internal",
                name=desk,
                phone=phone,
                phone_alt=ext,
                site=site.id,
                service=service.id,
                available="24/7" if round_the_clock else _OFFICE_HOURS,
                position=1,
            )
        )
        if service.kind in _ON_CALL:
            out.append(
                Contact(
                    code=f"{service.id}-GARDE",
                    kind="internal",
                    name="Médecin de garde",
                    phone=_mobile(rng),
                    site=site.id,
                    service=service.id,
                    function="GSM de garde",
                    available="24/7",
                    position=2,
                )
            )
    return out


def _site_wide(site: Site, numbers: _Numbers, rng: random.Random) -> list[tuple[str, ...]]:
    """(code suffix, name, phone, other phone, function, hours) of the whole site's numbers."""
    if site.kind == "datacenter":
        noc, ext = numbers.direct()
        return [
            ("NOC", "Salle informatique (NOC)", noc, ext, "Supervision et exploitation", "24/7"),
            (
                "ASTREINTE",
                "Astreinte réseau et systèmes",
                _mobile(rng),
                "",
                f"GSM d'astreinte — {_person(rng)}",
                "24/7",
            ),
        ]
    if site.kind in ("hospital", "clinic"):
        director = (
            "DIR",
            "Direction de garde",
            _mobile(rng),
            "",
            f"Directeur·rice de garde — {_person(rng)}",
            "24/7",
        )
        desk, ext = numbers.direct()
        it, _ext = numbers.direct()
        return [
            director,
            ("ACC", "Accueil et sécurité", desk, ext, "Loge, gardiennage", "24/7"),
            (
                "IT",
                "Informatique du site",
                it,
                _mobile(rng),
                f"Technicien·ne de proximité — {_person(rng)}",
                _OFFICE_HOURS,
            ),
        ]
    if site.kind == "childcare":
        desk, _ext = numbers.direct()
        hours = "lun.–ven. 6 h 30–18 h 30"
        return [("DIR", "Direction de la crèche", desk, "", _person(rng), hours)]
    desk, _ext = numbers.direct()
    night, ext = numbers.direct()
    return [
        ("DIR", "Direction", desk, _mobile(rng), _person(rng), _OFFICE_HOURS),
        ("NUIT", "Infirmier·ère de nuit", night, ext, "Responsable de garde", "24/7"),
    ]


def _cell(hq: Site | None, rng: random.Random) -> list[Contact]:
    site = hq.id if hq else ""
    zone = _ZONE.get(site, "063")
    room = f"{zone} {rng.randint(21, 59)} 90"
    rows = [
        ("CELL-SALLE-1", "Salle de crise — ligne 1", f"{room} 01", "Ligne directe, hors central"),
        ("CELL-SALLE-2", "Salle de crise — ligne 2", f"{room} 02", "Ligne directe, hors central"),
        ("CELL-DIRECTEUR", "Directeur de crise", _mobile(rng), f"GSM — {_person(rng)}"),
        ("CELL-MEDICAL", "Directeur médical", _mobile(rng), f"GSM — Dr {_person(rng)}"),
        ("CELL-IT", "Responsable informatique (RSSI)", _mobile(rng), f"GSM — {_person(rng)}"),
        ("CELL-COM", "Communication", _mobile(rng), f"GSM — {_person(rng)}"),
    ]
    return [
        Contact(
            code=code,
            kind="crisis_cell",
            name=name,
            phone=phone,
            site=site,
            function=function,
            available="24/7",
            position=i,
            email="cellule.crise@groupe-demo.example" if i == 1 else "",
        )
        for i, (code, name, phone, function) in enumerate(rows, start=1)
    ]


# code, category, name, function, phone, email, available
_EXTERNAL = (
    ("EXT-GOUV", "authority", "Gouverneur de la province de Luxembourg",
     "Cellule de crise provinciale (planification d'urgence)", "063 21 27 00",
     "crise@province-lux.example", "24/7"),
    ("EXT-NCCN", "authority", "Centre de crise national (NCCN)", "Permanence",
     "+32 2 506 47 00", "", "24/7"),
    ("EXT-IHF", "authority", "Inspecteur d'hygiène fédéral", "SPF Santé publique — Luxembourg",
     "+32 2 524 90 00", "ihf.lux@sante.example", "24/7"),
    ("EXT-AVIQ", "authority", "AViQ — surveillance des établissements de soins", "",
     "071 33 70 00", "", "lun.–ven. 8 h 30–16 h 30"),
    ("EXT-APD", "authority", "Autorité de protection des données (APD)",
     "Notification de fuite de données (72 h)", "+32 2 274 48 00",
     "contact@apd-gba.example", "lun.–ven."),
    ("EXT-FCCU", "police", "Police fédérale — FCCU", "Federal Computer Crime Unit",
     "+32 2 743 74 00", "fccu@police.example", "24/7"),
    ("EXT-ZP", "police", "Zone de police Arlon/Attert/Habay/Martelange", "Dispatching",
     "063 24 41 00", "", "24/7"),
    ("EXT-PARQUET", "police", "Parquet du Luxembourg", "Magistrat de garde",
     "063 42 01 00", "", "24/7"),
    ("EXT-CERTBE", "cert", "CERT.be (Centre pour la cybersécurité Belgique, CCB)",
     "Signalement d'incident", "+32 2 501 05 00", "cert@cert.be", "24/7"),
    ("EXT-CERTFR", "cert", "CERT-FR (ANSSI)", "Pour les sites et partenaires français",
     "+33 1 71 75 84 00", "cert-fr@ssi.gouv.fr", "24/7"),
    ("EXT-CSIRT", "cert", "Prestataire de réponse à incident", "Contrat d'intervention",
     "+32 2 880 12 00", "urgence@csirt-prestataire.example", "24/7"),
    ("EXT-DPI", "supplier", "Éditeur du DPI — support", "Dossier patient informatisé",
     "+32 10 48 20 00", "support@editeur-dpi.example", "24/7"),
    ("EXT-PACS", "supplier", "Fournisseur PACS — support", "Imagerie médicale",
     "+32 2 716 30 00", "hotline@pacs-fournisseur.example", "24/7"),
    ("EXT-RESEAU", "supplier", "Intégrateur réseau et pare-feu", "Astreinte",
     "081 71 35 00", "noc@integrateur.example", "24/7"),
    ("EXT-TELECOM", "supplier", "Opérateur télécom — dérangements entreprises", "",
     "0800 12 345", "", "24/7"),
    ("EXT-ASSUR", "insurer", "Assureur cyber — déclaration de sinistre",
     "Police n° CY-2022-0417", "+32 2 664 60 00", "sinistres@assureur.example", "24/7"),
    ("EXT-COURTIER", "insurer", "Courtier en assurances", "", "063 22 18 00",
     "", "lun.–ven. 9 h–17 h"),
    ("EXT-BELGA", "press", "Agence Belga — rédaction", "", "+32 2 743 23 00",
     "redaction@belga.example", "24/7"),
    ("EXT-RTBF", "press", "RTBF Luxembourg — rédaction", "", "063 24 21 00",
     "", ""),
    ("EXT-112", "other", "Centre 112 Luxembourg", "Ligne directe des hôpitaux",
     "063 22 10 00", "", "24/7"),
    ("EXT-CHU", "other", "Hôpital voisin — régulation des transferts", "CHU (Liège)",
     "04 366 70 00", "", "24/7"),
)  # fmt: skip


def _external() -> list[Contact]:
    out = []
    position: dict[str, int] = {}
    for code, category, name, function, phone, email, available in _EXTERNAL:
        position[category] = position.get(category, 0) + 1
        out.append(
            Contact(
                code=code,
                kind="external",
                category=category,
                name=name,
                function=function,
                phone=phone,
                email=email,
                available=available,
                position=position[category],
            )
        )
    return out
