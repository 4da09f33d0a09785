"""A realistic, deterministic demo group map (FORMATS.md §1).

`generate(seed, sites)` returns a plain document (dicts and lists, ready for YAML or JSON)
that `groupmap.parse_map` accepts. The default mirrors a real provincial hospital group of
southern Belgium: six hospitals, a polyclinic, four nursing homes, a psychiatric home,
three crèches and one datacenter, with about 200 servers, 1,500 workstations, forty-odd
applications and their dependencies, the firewall flows between zones, and the care
services of every site with what each becomes without its applications.

Scale: `sites=1` is a lone clinic that hosts everything itself; `sites=2..16` is a prefix
of the group plus its datacenter; beyond 16 the group template repeats as the groups of
one region (ids prefixed ``G02-``, hosts ``g02-``), all sharing one internet zone and the
national eHealth platform, until exactly `sites` sites. Same (seed, sites), same document:
every random choice comes from `random.Random` instances seeded from `seed` and the group.

In normal operation every care service of the map is normal: each service and application
reaches what it needs in one hop (FORMATS.md §1), through flows derived from those needs
plus the usual infrastructure rules (administration, backup, AD replication, internet).

No Django here: the command line and the benchmarks use this module on its own.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

__all__ = ["DEFAULT_SITES", "INTERNET", "generate"]

# ---------------------------------------------------------------------------
# The group template
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _SiteSpec:
    code: str
    name: str
    kind: str
    workstations: int
    size: str = "small"  # hospitals: large | medium | small
    features: frozenset[str] = frozenset()


def _hospital(code: str, name: str, ws: int, size: str, features: str) -> _SiteSpec:
    return _SiteSpec(code, name, "hospital", ws, size, frozenset(features.split()))


# fmt: off
#: The group of seed 000, in prefix order (the datacenter is added to every prefix).
_TEMPLATE: tuple[_SiteSpec, ...] = (
    _hospital("ARL", "Hôpital d'Arlon", 300, "large", "cath dialysis nicu nucmed onco maternity"),
    _hospital("MAR", "Hôpital de Marche", 270, "large", "cath dialysis nucmed onco maternity"),
    _hospital("LIB", "Hôpital de Libramont", 320, "large",
              "cath dialysis nicu nucmed onco rt maternity"),
    _hospital("BAS", "Hôpital de Bastogne", 140, "small", "dialysis maternity"),
    _hospital("VIR", "Hôpital de Virton", 120, "small", ""),
    _hospital("CSL", "Clinique du Sud-Luxembourg", 180, "medium", "dialysis onco maternity"),
    _SiteSpec("NEU", "Polyclinique de Neufchâteau", "polyclinic", 45),
    _SiteSpec("SOD", "Maison de repos de Sainte-Ode", "nursing_home", 14),
    _SiteSpec("CHY", "Maison de repos et de soins de Chanly", "nursing_home", 15),
    _SiteSpec("HAB", "Maison de repos d'Habay", "nursing_home", 13),
    _SiteSpec("BOU", "Maison de repos et de soins de Bouillon", "nursing_home", 14),
    _SiteSpec("BTX", "Maison de soins psychiatriques de Bertrix", "psychiatric", 22),
    _SiteSpec("CRA", "Crèche d'Arlon", "childcare", 4),
    _SiteSpec("CRM", "Crèche de Marche", "childcare", 4),
    _SiteSpec("CRL", "Crèche de Libramont", "childcare", 4),
)
# fmt: on
_DATACENTER = _SiteSpec("DC", "Centre de données du groupe", "datacenter", 0)
#: `sites=1`, and a lone last site of a region: a small hospital hosting everything itself.
_CLINIC = _SiteSpec(
    "CSJ", "Clinique Saint-Joseph", "clinic", 110, "small", frozenset({"dialysis", "maternity"})
)
#: Sites of the default map: the template and its datacenter.
DEFAULT_SITES = len(_TEMPLATE) + 1

_GROUP = {
    "id": "demo",
    "name": "Groupe hospitalier démo",
    "timezone": "Europe/Brussels",
    "country": "BE",
}

#: Zones of each site kind. A standalone clinic also gets DMZ and BKP (it is its own datacenter).
_SITE_ZONES = {
    "hospital": ("WS", "SRV", "MED", "MGMT", "WIFI"),
    "clinic": ("WS", "SRV", "MED", "MGMT", "WIFI"),
    "polyclinic": ("WS", "MED", "WIFI"),
    "nursing_home": ("WS", "WIFI"),
    "psychiatric": ("WS", "WIFI"),
    "childcare": ("WS",),
    "datacenter": ("SRV", "DMZ", "MGMT", "BKP"),
}
_ZONE_KIND = {
    "WS": "workstations",
    "SRV": "servers",
    "MED": "medical",
    "MGMT": "management",
    "WIFI": "wifi",
    "DMZ": "dmz",
    "BKP": "servers",
}
_ZONE_LABEL = {
    "WS": "postes de travail",
    "SRV": "serveurs",
    "MED": "équipements médicaux",
    "MGMT": "administration réseau",
    "WIFI": "wifi (invités et mobiles)",
    "DMZ": "DMZ",
    "BKP": "sauvegardes",
}
_CENTRAL_KEYS = ("SRV", "DMZ", "MGMT", "BKP")
#: The one internet zone of every generated map, shared by all the groups of a region.
INTERNET = "INTERNET"

_SIZE_FACTOR = {"large": 1.0, "medium": 0.7, "small": 0.5}
_SIZE_INDEX = {"large": 0, "medium": 1, "small": 2}

# ---------------------------------------------------------------------------
# Operating systems, weighted as in a Belgian hospital of 2022
# ---------------------------------------------------------------------------

_WIN = (
    "Windows Server 2012 R2",
    "Windows Server 2016",
    "Windows Server 2016",
    "Windows Server 2019",
    "Windows Server 2019",
    "Windows Server 2022",
)
_WIN_NEW = ("Windows Server 2019", "Windows Server 2022")
_WIN_OLD = ("Windows Server 2012 R2", "Windows Server 2016")
_RHEL = ("Red Hat Enterprise Linux 8", "Red Hat Enterprise Linux 7")
_DEBIAN = ("Debian 11",)
_WORKSTATION_OS = (
    "Windows 10 Enterprise 21H2",
    "Windows 10 Enterprise 20H2",
    "Windows 10 Enterprise LTSC 2019",
    "Windows 11 Enterprise 21H2",
    "Windows 7 Enterprise",
)
_WORKSTATION_CUM = (70, 85, 92, 97, 100)
_MONITOR_OS = ("Embedded (bedside monitor)",)
_EMBEDDED_OS = ("Embedded Linux", "VxWorks")
_MODALITY_OS = (
    "Windows 10 IoT Enterprise LTSC",
    "Windows 7 Embedded",
    "Windows 10 IoT Enterprise LTSC",
    "Red Hat Enterprise Linux 7",
)
_ANALYZER_OS = ("Windows 10 IoT Enterprise LTSC", "Windows 7 Embedded")
_SWITCH_OS = ("AOS-CX 10.10", "Cisco IOS XE 17.6")
_FIREWALL_OS = ("FortiOS 7.0",)

# ---------------------------------------------------------------------------
# Applications: what they need, where they run
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Place:
    """Hosts of an application in one kind of zone.

    `where` is a central zone key (SRV, DMZ, MGMT, BKP), EXT (the internet), or a local
    zone of each hospital (L-SRV, L-MED), optionally only hospitals with `feature`.
    `name` is a format with {n} (and {site} for local hosts)."""

    where: str
    name: str
    count: int
    os: tuple[str, ...] = ()
    role: str = "server"
    feature: str | None = None
    #: A local copy of a central service: pointless where the site is its own datacenter.
    replica: bool = False


@dataclass(frozen=True)
class _App:
    id: str
    name: str
    label: str  # short, for flow purposes
    ports: str  # what a client opens towards it
    rto_hours: float | None
    needs: tuple[str, ...]
    places: tuple[_Place, ...]
    #: One instance for the whole region (the national eHealth platform), never prefixed.
    shared: bool = False


def _needs(ids: str) -> tuple[str, ...]:
    return tuple(ids.split())


def _srv(name: str, count: int, os: tuple[str, ...] = _WIN, role: str = "server") -> _Place:
    """Hosts in the group's central server zone."""
    return _Place("SRV", name, count, os, role)


_BASE = "AD DNS VIRT"
_DB = "AD DNS VIRT SQL"
_DOMAIN_CONTROLLERS = (
    _srv("srv-dc-{n:02d}", 3, _WIN_NEW),
    _Place("L-SRV", "srv-{site}-dc-{n:02d}", 1, _WIN_NEW, replica=True),
)

# fmt: off
#: Every application needs only applications listed before it (checked at import), so the
#: dependencies are acyclic by construction.
_APPS: tuple[_App, ...] = (
    # --- infrastructure --------------------------------------------------------------
    _App("DNS", "DNS interne", "DNS", "53", 2, (), _DOMAIN_CONTROLLERS),
    _App("AD", "Active Directory", "Active Directory", "88;135;389;445;464;636;3268", 4,
         _needs("DNS"), _DOMAIN_CONTROLLERS),
    _App("DHCP", "DHCP", "DHCP", "67", 4, (), (_srv("srv-dhcp-{n:02d}", 2, _WIN_NEW),)),
    _App("STORAGE", "Baie de stockage (SAN)", "stockage", "443;2049;3260", 4, (),
         (_srv("san-{n:02d}", 4, ("NetApp ONTAP 9.11",)),)),
    _App("VIRT", "Plateforme de virtualisation", "virtualisation", "443;902", 4,
         _needs("STORAGE"),
         (_srv("esx-{n:02d}", 18, ("VMware ESXi 7.0 U3",)),
          _srv("srv-vcenter-{n:02d}", 1, ("VMware vCenter Server Appliance 7.0",)))),
    _App("SQL", "Cluster SQL Server", "SQL Server", "1433", 6, _needs("AD DNS VIRT STORAGE"),
         (_srv("srv-sql-{n:02d}", 8, _WIN_NEW + ("Windows Server 2016",)),)),
    _App("FILES", "Partages de fichiers", "partages de fichiers", "445", 24,
         _needs("AD DNS VIRT STORAGE"), (_srv("srv-fs-{n:02d}", 4),)),
    _App("PRINT", "Serveurs d'impression", "impression", "135;445", 24, _needs(_BASE),
         (_srv("srv-print-{n:02d}", 3),)),
    # not in the domain, in its own zone: what survives a domain-wide compromise
    _App("BACKUP", "Sauvegardes (hors domaine)", "sauvegarde", "9392;10005", 12, (),
         (_Place("BKP", "srv-bkp-{n:02d}", 4, _WIN_NEW),
          _Place("BKP", "bkp-repo-{n:02d}", 4, ("Ubuntu 22.04 LTS",)),
          _Place("BKP", "bkp-tape-{n:02d}", 1, ("Tape library firmware",)))),
    _App("EDR", "Console antivirus et EDR", "console EDR", "443;8443", 8, (),
         (_Place("MGMT", "srv-edr-{n:02d}", 2, _WIN_NEW),)),
    _App("CITRIX", "Bureaux et applications virtuels (Citrix)", "Citrix", "443;1494;2598", 12,
         _needs(_DB + " FILES"),
         (_srv("srv-ctx-{n:02d}", 24), _srv("srv-ctxddc-{n:02d}", 2, _WIN_NEW))),
    _App("SSO", "Authentification unique (SSO, badges)", "SSO", "443", 12, _needs(_DB),
         (_srv("srv-sso-{n:02d}", 2),)),
    _App("MAIL", "Messagerie (Exchange)", "messagerie", "443", 48,
         _needs("AD DNS VIRT STORAGE"),
         (_srv("srv-exch-{n:02d}", 4, ("Windows Server 2016", "Windows Server 2019")),)),
    _App("MAILGW", "Passerelle de messagerie", "relais SMTP", "25", 72, (),
         (_Place("DMZ", "smtp-gw-{n:02d}", 2, _DEBIAN),)),
    _App("PROXY", "Proxy web", "proxy web", "3128", 48, (),
         (_Place("DMZ", "proxy-{n:02d}", 2, _DEBIAN),)),
    _App("VPN", "Accès à distance (VPN)", "VPN", "443;500;4500", 72, _needs("AD"),
         (_Place("DMZ", "vpn-{n:02d}", 2, _FIREWALL_OS, "network"),)),
    # the switchboard runs on the virtualisation platform: it falls with it (seed 000)
    _App("IPBX", "Téléphonie et standard (IPBX)", "téléphonie", "5060;5061;10000-20000", 4,
         _needs("DNS VIRT"),
         (_srv("srv-ipbx-{n:02d}", 2, ("Linux (call server)",)),
          _srv("srv-ipbxatt-{n:02d}", 1, _WIN_OLD))),
    # --- clinical and administrative, central ------------------------------------------
    _App("HL7", "Moteur d'interfaces HL7", "interfaces HL7", "2575", 8, _needs("DNS VIRT SQL"),
         (_srv("srv-hl7-{n:02d}", 2, _RHEL),)),
    _App("ADT", "Gestion administrative des patients (admissions)", "admissions", "443", 8,
         _needs(_DB), (_srv("srv-adt-{n:02d}", 3),)),
    _App("EHPF", "Plateforme eHealth (nationale, externe)", "plateforme eHealth", "443", None,
         (), (_Place("EXT", "ext-ehealth-{n:02d}", 1),), shared=True),
    _App("EHCONN", "Connecteur eHealth (MyCareNet, Recip-e)", "connecteur eHealth", "443", 48,
         _needs("EHPF"), (_Place("DMZ", "srv-ehc-{n:02d}", 2, _RHEL),)),
    _App("EHR", "Dossier patient informatisé", "dossier patient", "443", 8,
         _needs(_DB + " HL7 ADT"), (_srv("srv-ehr-{n:02d}", 10),)),
    _App("EPRESC", "Prescription électronique (Recip-e)", "prescription électronique", "443",
         48, _needs(_BASE + " EHR EHCONN"), (_srv("srv-epresc-{n:02d}", 1),)),
    _App("BILLING", "Facturation et tarification", "facturation", "443;1433", 168,
         _needs(_DB + " ADT EHCONN"), (_srv("srv-bill-{n:02d}", 3),)),
    _App("PACS", "PACS (archivage des images)", "PACS", "104;443;11112", 12,
         _needs(_DB + " STORAGE"),
         (_srv("srv-pacs-{n:02d}", 6, _RHEL + ("Windows Server 2016",)),)),
    _App("RIS", "Système d'information radiologique (RIS)", "RIS", "443", 24,
         _needs(_DB + " HL7"), (_srv("srv-ris-{n:02d}", 2),)),
    _App("LIS", "Système d'information du laboratoire (LIS)", "LIS", "443;2575", 8,
         _needs(_DB + " HL7"), (_srv("srv-lis-{n:02d}", 4, _RHEL + _WIN_OLD),)),
    _App("BBANK", "Banque de sang et traçabilité transfusionnelle", "banque de sang", "443", 4,
         _needs(_DB + " HL7"), (_srv("srv-bbank-{n:02d}", 2),)),
    _App("PHARMA", "Pharmacie et circuit du médicament", "pharmacie", "443", 12,
         _needs(_DB + " HL7"), (_srv("srv-pharma-{n:02d}", 2),)),
    _App("ONCO", "Prescription de chimiothérapie", "chimiothérapie", "443", 24,
         _needs(_DB + " HL7"), (_srv("srv-onco-{n:02d}", 2),)),
    _App("ORSCHED", "Planification du bloc opératoire", "planning du bloc", "443", 24,
         _needs(_DB + " EHR"), (_srv("srv-orsched-{n:02d}", 2),)),
    _App("ANESTH", "Dossier d'anesthésie", "anesthésie", "443", 12, _needs(_DB + " HL7"),
         (_srv("srv-anesth-{n:02d}", 2),)),
    _App("EDTRACK", "Suivi des patients aux urgences", "suivi des urgences", "443", 8,
         _needs(_BASE + " EHR"), (_srv("srv-edtrack-{n:02d}", 2),)),
    _App("STERIL", "Traçabilité de la stérilisation", "stérilisation", "443", 24, _needs(_DB),
         (_srv("srv-steril-{n:02d}", 1),)),
    _App("MRS", "Dossier des résidents (maisons de repos)", "dossier résident", "443", 24,
         _needs(_DB), (_srv("srv-mrs-{n:02d}", 2),)),
    _App("CRECHE", "Gestion des crèches", "crèches", "443", 168, _needs(_DB),
         (_srv("srv-creche-{n:02d}", 1),)),
    _App("HR", "Ressources humaines et paie", "RH et paie", "443", 120, _needs(_DB),
         (_srv("srv-hr-{n:02d}", 2),)),
    _App("ERP", "Finances, achats et logistique (ERP)", "ERP", "443;3200-3299", 120,
         _needs(_DB), (_srv("srv-erp-{n:02d}", 3, ("SUSE Linux Enterprise Server 15",)),)),
    _App("WEB", "Site internet", "site web", "80;443", 72, (),
         (_Place("DMZ", "web-{n:02d}", 2, _DEBIAN),)),
    _App("PORTAL", "Portail des médecins traitants", "portail médecins", "443", 72,
         _needs("EHR"), (_Place("DMZ", "portal-{n:02d}", 2, _WIN_NEW),)),
    # --- local to each hospital: what keeps working when the datacenter is cut off ------
    _App("PACSCACHE", "Cache PACS local", "cache PACS", "104;443", 24, _needs("AD DNS"),
         (_Place("L-SRV", "srv-{site}-pacs-{n:02d}", 1, _WIN),)),
    _App("ICUMON", "Centrale de monitoring (soins intensifs)", "monitoring SI", "443", 2, (),
         (_Place("L-MED", "srv-{site}-icumon-{n:02d}", 1, ("Windows Server 2016",)),)),
    _App("DIAL", "Gestion de la dialyse", "dialyse", "443", 12, _needs("AD DNS"),
         (_Place("L-MED", "srv-{site}-dial-{n:02d}", 1, _WIN_OLD, feature="dialysis"),)),
    _App("CATH", "Enregistrement hémodynamique (coronarographie)", "hémodynamique", "443", 4,
         (), (_Place("L-MED", "srv-{site}-cath-{n:02d}", 1, ("Windows 10 IoT Enterprise LTSC",),
                     feature="cath"),)),
    _App("RTPS", "Planification et contrôle de radiothérapie", "radiothérapie", "443;1433", 24,
         _needs("AD DNS"),
         (_Place("L-MED", "srv-{site}-rtps-{n:02d}", 2, _WIN_NEW, feature="rt"),)),
    _App("NURSECALL", "Appel infirmier", "appel infirmier", "443;5060", 2, (),
         (_Place("L-SRV", "srv-{site}-nursecall-{n:02d}", 1, ("Linux (appliance)",)),)),
)
# fmt: on
_APP_BY_ID = {a.id: a for a in _APPS}

#: Servers that run no modelled application (admin tools, minor business software).
_OTHER_SERVERS = (
    _Place("MGMT", "srv-jump-{n:02d}", 2, _WIN_NEW),
    _Place("MGMT", "srv-mon-{n:02d}", 1, _RHEL),
    _Place("MGMT", "srv-wsus-{n:02d}", 1, _WIN),
    _Place("MGMT", "srv-siem-{n:02d}", 1, _RHEL),
    _srv("srv-intranet-{n:02d}", 1),
    _srv("srv-bi-{n:02d}", 2),
    _srv("srv-ged-{n:02d}", 2),
    _srv("srv-dict-{n:02d}", 2),
    _srv("srv-qualite-{n:02d}", 1),
    _srv("srv-repas-{n:02d}", 1),
    _srv("srv-gmao-{n:02d}", 1),
    _srv("srv-lic-{n:02d}", 1),
)

#: Applications every zone of a kind must reach (firewall rules beyond what services need).
_BASELINE = {
    "workstations": _needs("AD DNS DHCP FILES PRINT MAIL CITRIX SSO EDR PROXY"),
    "medical": _needs("PACS PACSCACHE HL7"),  # DICOM from modalities, HL7 from analyzers
    "wifi": _needs("PROXY"),  # guests and mobiles: the internet through the proxy, nothing else
    "servers": _needs("EDR"),
    "dmz": _needs("EDR"),
}
#: Applications that devices, not people, talk to: a service reaches them from its medical zone.
_DEVICE_FACING = frozenset({"HL7"})

# ---------------------------------------------------------------------------
# Medical devices
# ---------------------------------------------------------------------------

# fmt: off
#: (stem, os, count for a large / medium / small hospital, feature required)
_DEVICES = (
    ("icu", _MONITOR_OS, (10, 7, 5), None),  # bedside monitors
    ("neo", _MONITOR_OS, (6, 4, 3), "nicu"),
    ("dial", _EMBEDDED_OS, (8, 6, 5), "dialysis"),  # dialysis generators
    ("ct", _MODALITY_OS, (2, 1, 1), None),
    ("mri", _MODALITY_OS, (1, 1, 0), None),
    ("xr", _MODALITY_OS, (3, 2, 2), None),
    ("us", _MODALITY_OS, (3, 2, 1), None),
    ("lab", _ANALYZER_OS, (4, 3, 2), None),
    ("anesth", _EMBEDDED_OS, (5, 3, 2), None),  # anaesthesia workstations
    ("ctg", _EMBEDDED_OS, (3, 2, 2), "maternity"),  # fetal monitors
    ("cath", _MODALITY_OS, (1, 1, 1), "cath"),
    ("linac", _MODALITY_OS, (2, 2, 2), "rt"),
    ("gamma", _MODALITY_OS, (1, 1, 1), "nucmed"),
)
_POLYCLINIC_DEVICES = (("xr", _MODALITY_OS, 1), ("us", _MODALITY_OS, 2), ("lab", _ANALYZER_OS, 1))
# fmt: on

# ---------------------------------------------------------------------------
# Care services: what a doctor says each becomes without each application
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Svc:
    suffix: str
    name: str
    kind: str
    criticality: str
    #: Applications without which the service carries on, on paper or local fallbacks.
    degraded_without: str
    #: Share of capacity kept while degraded.
    degraded: float
    #: Minutes per day of planned activity in a large hospital (None: no schedule).
    capacity: int | None = None
    #: Applications without which the service stops.
    down_without: str = ""
    #: Staff also work from the medical zone (device-bound service).
    medical: bool = False
    feature: str | None = None
    sizes: str = "LMS"  # hospital sizes that have it

    @property
    def needs(self) -> list[tuple[str, str]]:
        return [(a, "down") for a in self.down_without.split()] + [
            (a, "degraded") for a in self.degraded_without.split()
        ]


# fmt: off
_HOSPITAL_SERVICES = (
    # vital: bedside equipment keeps working without IT ("tous les appareillages des unités
    # de soins intensifs fonctionnent"), so these are degraded, not down, without software
    _Svc("SI", "Soins intensifs", "icu", "vital", "ICUMON EHR LIS", 0.7, medical=True),
    _Svc("URG", "Urgences", "emergency", "vital", "EDTRACK EHR LIS PACS IPBX", 0.6,
         medical=True),
    _Svc("BLOC", "Bloc opératoire", "surgery", "vital", "ORSCHED ANESTH STERIL EHR BBANK", 0.5,
         3840, medical=True),
    _Svc("MAT", "Maternité et salle de naissance", "maternity", "vital", "EHR LIS NURSECALL",
         0.8, medical=True, feature="maternity"),
    _Svc("NEO", "Néonatologie", "neonatology", "vital", "ICUMON EHR LIS", 0.7, medical=True,
         feature="nicu"),
    _Svc("DIA", "Dialyse", "dialysis", "vital", "DIAL EHR LIS", 0.7, 5760, medical=True,
         feature="dialysis"),
    # no procedure without the haemodynamic recording system
    _Svc("CATH", "Salle de cathétérisme (coronarographie)", "cath_lab", "vital", "PACS EHR",
         0.6, 1440, down_without="CATH", medical=True, feature="cath"),
    _Svc("TRANSF", "Dépôt de sang et transfusion", "transfusion", "vital", "BBANK LIS", 0.6),
    # essential: "les radios sont toujours possibles", lab analyses "prennent plus de temps"
    _Svc("RAD", "Radiologie", "radiology", "essential", "PACS PACSCACHE RIS", 0.4, 4800,
         medical=True),
    _Svc("LAB", "Laboratoire de biologie clinique", "lab", "essential", "LIS HL7", 0.5, 2880,
         medical=True),
    _Svc("PHA", "Pharmacie hospitalière", "pharmacy", "essential", "PHARMA EHR", 0.6),
    _Svc("MI", "Médecine interne (hospitalisation)", "ward", "essential",
         "EHR PHARMA NURSECALL", 0.7),
    _Svc("CHIR", "Chirurgie (hospitalisation)", "ward", "essential", "EHR PHARMA NURSECALL",
         0.7),
    _Svc("CARD", "Cardiologie (hospitalisation)", "ward", "essential", "EHR PHARMA NURSECALL",
         0.7, sizes="LM"),
    _Svc("GER", "Gériatrie", "ward", "essential", "EHR PHARMA NURSECALL", 0.7),
    _Svc("PED", "Pédiatrie", "ward", "essential", "EHR PHARMA NURSECALL", 0.7,
         feature="maternity"),
    _Svc("MN", "Médecine nucléaire", "nuclear_medicine", "essential", "PACS RIS", 0.5, 1440,
         medical=True, feature="nucmed"),
    _Svc("ENDO", "Endoscopie", "endoscopy", "essential", "EHR PACS", 0.5, 1440, medical=True),
    _Svc("ADM", "Admissions et accueil", "admissions", "essential", "ADT IPBX", 0.5),
    _Svc("STE", "Stérilisation centrale", "sterilisation", "essential", "STERIL", 0.6),
    # cancer treatment stops without its validated planning / prescription software
    _Svc("RT", "Radiothérapie", "radiotherapy", "essential", "PACS EHR", 0.5, 2880,
         down_without="RTPS", medical=True, feature="rt"),
    _Svc("ONC", "Hôpital de jour oncologique", "oncology_day", "essential", "EHR LIS PHARMA",
         0.5, 2400, down_without="ONCO", feature="onco"),
    # deferrable
    _Svc("HJ", "Hôpital de jour médical", "day_hospital", "deferrable", "EHR LIS", 0.5, 1920),
    _Svc("KINE", "Kinésithérapie et revalidation", "physiotherapy", "deferrable", "EHR", 0.7,
         2400),
)
_SPECIALTIES = (
    ("CARD", "cardiologie"), ("ORTH", "orthopédie"), ("GAST", "gastro-entérologie"),
    ("GYN", "gynécologie"), ("PNEU", "pneumologie"), ("NEUR", "neurologie"),
    ("OPH", "ophtalmologie"), ("ORL", "ORL"), ("URO", "urologie"), ("DERM", "dermatologie"),
)
_SPECIALTY_COUNT = {"large": 6, "medium": 4, "small": 4}
_POLYCLINIC_SPECIALTIES = 5

_OTHER_SERVICES = {
    "polyclinic": (
        _Svc("IMG", "Imagerie (radiologie, échographie)", "radiology", "essential", "PACS RIS",
             0.4, 1920, medical=True),
        _Svc("PREL", "Prélèvements sanguins", "lab", "deferrable", "LIS", 0.6, 960),
    ),
    "nursing_home": (
        _Svc("SOINS", "Soins aux résidents", "residents_care", "essential", "MRS", 0.8),
        _Svc("MEDIC", "Tournée des médicaments", "medication_round", "essential", "MRS PHARMA",
             0.7),
        _Svc("ANIM", "Kinésithérapie et animation", "activities", "deferrable", "MRS", 0.6, 960),
    ),
    "psychiatric": (
        _Svc("SOINS", "Soins psychiatriques résidentiels", "psychiatric_care", "essential",
             "EHR PHARMA", 0.8),
        _Svc("CS", "Consultations psychiatriques", "consultation", "deferrable", "EHR ADT", 0.5,
             960),
        _Svc("ACT", "Activités thérapeutiques", "activities", "deferrable", "EHR", 0.6, 1440),
    ),
    "childcare": (
        _Svc("ACC", "Accueil des enfants", "childcare", "essential", "CRECHE", 0.8),
        _Svc("ADM", "Inscriptions et administration", "administration", "deferrable", "CRECHE",
             0.5),
    ),
}
# fmt: on


def _consultation(code: str, name: str) -> _Svc:
    # paper prescriptions and paper agendas exist: consultations slow down, they do not stop
    title = f"Consultations de {name}"
    return _Svc(f"CS-{code}", title, "consultation", "deferrable", "EHR ADT EPRESC", 0.5, 1920)


def _check_catalogue() -> None:
    """Needs name known applications, each defined before the applications needing it."""
    seen: set[str] = set()
    for app in _APPS:
        missing = [n for n in app.needs if n not in seen]
        assert not missing, f"{app.id} needs {missing}, not defined before it"
        seen.add(app.id)
    services = [*_HOSPITAL_SERVICES, *(s for v in _OTHER_SERVICES.values() for s in v)]
    for svc in [*services, _consultation("X", "x")]:
        unknown = [a for a, _ in svc.needs if a not in seen]
        assert not unknown, f"service {svc.suffix} needs unknown applications {unknown}"


_check_catalogue()

# ---------------------------------------------------------------------------
# Explicit flows (beyond client -> application rules derived from the needs)
# ---------------------------------------------------------------------------

_ADMIN_PORTS = "22;161;443;3389;5985-5986"
_AD_REPLICATION = "88;135;389;445;464;636;3268;49152-65535"


# ---------------------------------------------------------------------------
# The builder
# ---------------------------------------------------------------------------


class _Doc:
    """Accumulates the document; one instance per `generate` call."""

    def __init__(self) -> None:
        self.sites: list[dict] = []
        self.zones: list[dict] = []
        self.zone_kind: dict[str, str] = {}
        self.zone_site: dict[str, str | None] = {}
        self.zone_hosts: dict[str, list[dict]] = {}
        self.host_zone: dict[str, str] = {}
        self.apps: list[dict] = []
        self.app_zones: dict[str, list[str]] = {}
        self.app_ports: dict[str, tuple[str, str]] = {}
        self.services: list[dict] = []
        self.flows: dict[tuple[str, str], tuple[dict[str, None], dict[str, None]]] = {}

    # -- primitives -----------------------------------------------------------------
    def zone(self, id: str, kind: str, site: str | None, name: str) -> str:
        z = (
            {"id": id, "site": site, "kind": kind, "name": name}
            if site
            else {"id": id, "kind": kind, "name": name}
        )
        self.zones.append(z)
        self.zone_kind[id] = kind
        self.zone_site[id] = site
        self.zone_hosts[id] = []
        return id

    def host(self, id: str, zone: str, role: str, os: str = "") -> str:
        if id not in self.host_zone:
            self.host_zone[id] = zone
            h = {"id": id, "zone": zone, "role": role}
            if os:
                h["os"] = os
            self.zone_hosts[zone].append(h)
        return id

    def flow(self, src: str, dst: str, ports: str, purpose: str) -> None:
        if src == dst:
            return
        key = (src, dst)
        if key not in self.flows:
            self.flows[key] = ({}, {})
        port_set, purposes = self.flows[key]
        for p in ports.split(";"):
            port_set[p] = None
        purposes[purpose] = None

    def connect(self, src: str, app: str, central: frozenset[str], strict: bool = True) -> None:
        """Open what `src` needs to reach `app`: its hosts at the same site, else central."""
        zones = self.app_zones.get(app)
        if zones is None or src in zones:
            return
        site = self.zone_site[src]
        targets = [z for z in zones if site is not None and self.zone_site[z] == site]
        targets += [z for z in zones if z in central and z not in targets]
        if not targets:
            if strict:
                raise AssertionError(f"zone {src} cannot reach application {app}")
            return
        ports, label = self.app_ports[app]
        for t in targets:
            self.flow(src, t, ports, label)

    # -- output ----------------------------------------------------------------------
    def hosts_with_ips(self) -> list[dict]:
        """Hosts in zone order, each zone on its own block of 10.0.0.0/8 (a /24 or more)."""
        out: list[dict] = []
        block = 0  # in /24 units
        for z in self.zones:
            hosts = self.zone_hosts[z["id"]]
            if not hosts:
                continue
            if z["kind"] == "internet":
                out.extend(hosts)
                continue
            size = 1 << max(0, math.ceil(math.log2((len(hosts) + 10) / 254)))
            block = -(-block // size) * size  # aligned, so the zone is one CIDR prefix
            if block + size > 1 << 16:  # 10/8 exhausted: leave the rest without addresses
                out.extend(hosts)
                continue
            for i, h in enumerate(hosts, start=10):
                sub, octet = divmod(i, 254)
                c = block + sub
                h["ip"] = f"10.{c >> 8}.{c & 255}.{octet + 1}"
                out.append(h)
            block += size
        return out

    def flows_out(self) -> list[dict]:
        out = []
        for (src, dst), (ports, purposes) in self.flows.items():
            ordered = sorted(ports, key=lambda p: int(p.split("-")[0]))
            out.append(
                {"from": src, "to": dst, "ports": ";".join(ordered), "purpose": ", ".join(purposes)}
            )
        return out


class _Group:
    """One hospital group of the document: its sites, zones, hosts, apps, services, flows."""

    def __init__(
        self,
        doc: _Doc,
        rng: random.Random,
        specs: list[_SiteSpec],
        *,
        id_prefix: str,
        host_prefix: str,
        label: str,
        standalone: bool,
        scale: float,
    ) -> None:
        self.d, self.rng, self.specs = doc, rng, specs
        self.prefix, self.host_prefix, self.label = id_prefix, host_prefix, label
        self.standalone, self.scale = standalone, scale
        self.site_zones: dict[str, dict[str, str]] = {}
        self.central: dict[str, str] = {}

    def build(self) -> None:
        self._sites_and_zones()
        self._site_hosts()
        self._applications()
        self._services()
        self._flows()

    # -- sites and zones ---------------------------------------------------------------
    def _sites_and_zones(self) -> None:
        d = self.d
        for spec in self.specs:
            sid = self.prefix + spec.code
            name = f"{spec.name} ({self.label})" if self.label else spec.name
            d.sites.append({"id": sid, "name": name, "kind": spec.kind})
            keys = _SITE_ZONES[spec.kind]
            if self.standalone:
                keys = keys + ("DMZ", "BKP")
            zones = {
                k: d.zone(f"{sid}-{k}", _ZONE_KIND[k], sid, f"{name} — {_ZONE_LABEL[k]}")
                for k in keys
            }
            self.site_zones[spec.code] = zones
            if spec.kind == "datacenter" or self.standalone:
                self.central = {k: zones[k] for k in _CENTRAL_KEYS}
        assert self.central, "a group needs a datacenter or a standalone site"
        self.central_set = frozenset(self.central.values()) | {INTERNET}

    # -- hosts of the sites --------------------------------------------------------------
    def _count(self, base: float) -> int:
        return max(1, round(base * self.scale * self.rng.uniform(0.97, 1.03)))

    def _site_hosts(self) -> None:
        d, rng, hp = self.d, self.rng, self.host_prefix
        for spec in self.specs:
            zones = self.site_zones[spec.code]
            code = spec.code.lower()
            if spec.kind == "datacenter":
                for name, n, os in (
                    ("fw-dc-{n:02d}", 2, _FIREWALL_OS),
                    ("sw-dc-core-{n:02d}", 2, _SWITCH_OS),
                    ("sw-dc-tor-{n:02d}", 6, _SWITCH_OS),
                ):
                    for i in range(1, n + 1):
                        d.host(hp + name.format(n=i), zones["MGMT"], "network", rng.choice(os))
                continue
            n_ws = self._count(spec.workstations)
            oses = rng.choices(_WORKSTATION_OS, cum_weights=_WORKSTATION_CUM, k=n_ws)
            ws = zones["WS"]
            for i, os in enumerate(oses, start=1):
                d.host(f"{hp}ws-{code}-{i:04d}", ws, "workstation", os)
            if "MED" in zones:
                self._devices(spec, zones["MED"], code)
            switches = max(1, math.ceil(n_ws / 48))
            if "MGMT" in zones:
                net = zones["MGMT"]
                d.host(f"{hp}fw-{code}-01", net, "network", _FIREWALL_OS[0])
                for i in (1, 2):
                    d.host(f"{hp}sw-{code}-core-{i:02d}", net, "network", rng.choice(_SWITCH_OS))
                for i in range(1, switches + 1):
                    d.host(f"{hp}sw-{code}-acc-{i:02d}", net, "network", rng.choice(_SWITCH_OS))
                d.host(f"{hp}wlc-{code}-01", net, "network", "ArubaOS 8.10")
            else:
                d.host(f"{hp}rtr-{code}-01", ws, "network", "Cisco IOS XE 17.6")
                for i in range(1, switches + 1):
                    d.host(f"{hp}sw-{code}-{i:02d}", ws, "network", rng.choice(_SWITCH_OS))

    def _devices(self, spec: _SiteSpec, med: str, code: str) -> None:
        d, rng = self.d, self.rng
        if spec.kind == "polyclinic":
            plan = [(stem, os, n) for stem, os, n in _POLYCLINIC_DEVICES]
        else:
            size = _SIZE_INDEX[spec.size]
            plan = [
                (stem, os, counts[size])
                for stem, os, counts, feature in _DEVICES
                if feature is None or feature in spec.features
            ]
        for stem, os, n in plan:
            if n == 0:
                continue
            # big fleets (monitors, generators) shrink with the group; single modalities stay
            count = self._count(n) if n > 2 else n
            for i in range(1, count + 1):
                d.host(
                    f"{self.host_prefix}med-{code}-{stem}-{i:02d}",
                    med,
                    "medical_device",
                    rng.choice(os),
                )

    # -- applications -----------------------------------------------------------------------
    def _app_id(self, app: str) -> str:
        return app if _APP_BY_ID[app].shared else self.prefix + app

    def _place_hosts(self, place: _Place) -> list[str]:
        d, rng, hp = self.d, self.rng, self.host_prefix
        if place.where in _CENTRAL_KEYS:
            zone = self.central[place.where]
            n = place.count if not self.standalone else max(1, (place.count + 3) // 4)
            return [
                d.host(
                    hp + place.name.format(n=i),
                    zone,
                    place.role,
                    rng.choice(place.os) if place.os else "",
                )
                for i in range(1, n + 1)
            ]
        local = place.where[2:]  # L-SRV -> SRV
        ids = []
        for spec in self.specs:
            zones = self.site_zones[spec.code]
            if local not in zones or spec.kind not in ("hospital", "clinic"):
                continue
            if place.feature and place.feature not in spec.features:
                continue
            if place.replica and zones[local] in self.central.values():
                continue
            code = spec.code.lower()
            for i in range(1, place.count + 1):
                ids.append(
                    d.host(
                        hp + place.name.format(site=code, n=i),
                        zones[local],
                        place.role,
                        rng.choice(place.os),
                    )
                )
        return ids

    def _applications(self) -> None:
        d = self.d
        for app in _APPS:
            if app.shared:
                continue
            hosts = [h for place in app.places for h in self._place_hosts(place)]
            if not hosts:  # e.g. no hospital of this prefix has radiotherapy
                continue
            aid = self.prefix + app.id
            rec: dict[str, Any] = {"id": aid, "name": app.name, "hosts": hosts}
            needs = [self._app_id(n) for n in app.needs]
            if needs:
                rec["needs"] = needs
            if app.rto_hours is not None:
                rec["rto_hours"] = app.rto_hours
            d.apps.append(rec)
            d.app_ports[aid] = (app.ports, app.label)
            zones = {d.host_zone[h]: None for h in hosts}
            d.app_zones[aid] = list(zones)
        for place in _OTHER_SERVERS:
            self._place_hosts(place)

    # -- services ---------------------------------------------------------------------------
    def _services(self) -> None:
        for spec in self.specs:
            sid = self.prefix + spec.code
            zones = self.site_zones[spec.code]
            if spec.kind in ("hospital", "clinic"):
                size = spec.size
                factor = _SIZE_FACTOR[size]
                for s in _HOSPITAL_SERVICES:
                    if s.feature and s.feature not in spec.features:
                        continue
                    if size[0].upper() not in s.sizes:
                        continue
                    self._service(sid, zones, s, factor)
                for code, name in _SPECIALTIES[: _SPECIALTY_COUNT[size]]:
                    self._service(sid, zones, _consultation(code, name), factor)
            elif spec.kind in _OTHER_SERVICES:
                for s in _OTHER_SERVICES[spec.kind]:
                    self._service(sid, zones, s, 1.0)
                if spec.kind == "polyclinic":
                    for code, name in _SPECIALTIES[:_POLYCLINIC_SPECIALTIES]:
                        self._service(sid, zones, _consultation(code, name), 0.6)

    def _service(self, sid: str, zones: dict[str, str], s: _Svc, factor: float) -> None:
        rng = self.rng
        ws = [zones["WS"]]
        if s.medical and "MED" in zones:
            ws.append(zones["MED"])
        rec: dict[str, Any] = {
            "id": f"{sid}-{s.suffix}",
            "site": sid,
            "name": s.name,
            "kind": s.kind,
            "criticality": s.criticality,
            "workstations": ws,
        }
        if s.capacity:
            minutes = s.capacity * factor * self.scale * rng.uniform(0.9, 1.1)
            rec["capacity_minutes_per_day"] = max(60, round(minutes / 30) * 30)
        rec["degraded_capacity"] = round(min(0.95, s.degraded * rng.uniform(0.9, 1.1)), 2)
        rec["needs"] = [{"app": self._app_id(a), "without": w} for a, w in s.needs]
        self.d.services.append(rec)
        for a, _ in s.needs:
            src = ws[-1] if a in _DEVICE_FACING else ws[0]
            self.d.connect(src, self._app_id(a), self.central_set)

    # -- flows -------------------------------------------------------------------------------
    def _flows(self) -> None:
        d, c, cs = self.d, self.central, self.central_set
        # what each application's hosts need, one hop away
        for app in _APPS:
            aid = self._app_id(app.id)
            if app.shared or aid not in d.app_zones:
                continue
            for zone in d.app_zones[aid]:
                for need in app.needs:
                    d.connect(zone, self._app_id(need), cs)
        # what every zone of a kind needs, whatever the care services
        group_zones = [z for zones in self.site_zones.values() for z in zones.values()]
        for z in group_zones:
            for app in _BASELINE.get(d.zone_kind[z], ()):
                d.connect(z, self._app_id(app), cs, strict=False)
        for spec in self.specs:
            zones = self.site_zones[spec.code]
            if "WS" in zones and "MED" in zones:
                d.flow(zones["WS"], zones["MED"], "443;3389", "consoles des équipements médicaux")
            if "SRV" in zones and zones["SRV"] != c["SRV"]:
                d.flow(zones["SRV"], c["SRV"], _AD_REPLICATION, "réplication Active Directory")
                d.flow(c["BKP"], zones["SRV"], "445;6160-6162", "sauvegarde des serveurs locaux")
            if "MGMT" in zones:
                d.flow(zones["MGMT"], c["MGMT"], "162;514", "journaux et alertes réseau")
        for z in group_zones:
            d.flow(c["MGMT"], z, _ADMIN_PORTS, "administration et supervision")
        d.flow(c["SRV"], c["BKP"], "2500-3300;10005", "sauvegarde (données vers le dépôt)")
        d.flow(c["BKP"], c["SRV"], "443;445;902", "sauvegarde (lecture des VM et serveurs)")
        d.flow(c["SRV"], c["DMZ"], "25;3128", "relais de messagerie, mises à jour via proxy")
        d.flow(c["DMZ"], INTERNET, "25;53;80;443", "navigation, messagerie sortante, DNS")
        d.flow(
            INTERNET,
            c["DMZ"],
            "25;80;443;500;4500",
            "site web, portail médecins, messagerie entrante, VPN",
        )


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def _plan(n: int) -> list[tuple[list[_SiteSpec], bool]]:
    """Groups of `n` sites: (site specs, standalone) each, template-sized but the last."""
    per_group = DEFAULT_SITES
    full, rest = divmod(n, per_group)
    groups: list[tuple[list[_SiteSpec], bool]] = [
        ([*_TEMPLATE, _DATACENTER], False) for _ in range(full)
    ]
    if rest == 1:
        groups.append(([_CLINIC], True))
    elif rest:
        groups.append(([*_TEMPLATE[: rest - 1], _DATACENTER], False))
    return groups


def generate(seed: int = 1, sites: int | None = None) -> dict[str, Any]:
    """A demo group map of `sites` sites (default: the 16 of the template group).

    Deterministic: the same (seed, sites) always gives an equal document. A different seed
    changes host details (counts, operating systems, addresses) and capacities, not the
    structure (sites, zones, flows, applications, services)."""
    n = DEFAULT_SITES if sites is None else sites
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"sites must be a whole number of at least 1, got {sites!r}")
    plan = _plan(n)
    doc = _Doc()
    doc.zone(INTERNET, "internet", None, "Internet")
    ehpf = _APP_BY_ID["EHPF"]
    ext = [
        doc.host(p.name.format(n=i), INTERNET, p.role)
        for p in ehpf.places
        for i in range(1, p.count + 1)
    ]
    doc.apps.append({"id": ehpf.id, "name": ehpf.name, "hosts": ext})
    doc.app_zones[ehpf.id] = [INTERNET]
    doc.app_ports[ehpf.id] = (ehpf.ports, ehpf.label)

    width = max(2, len(str(len(plan))))
    for g, (specs, standalone) in enumerate(plan, start=1):
        rng = random.Random(f"crisiscell-demo:{seed}:{g}")
        region = len(plan) > 1 and g > 1
        tag = f"G{g:0{width}d}" if region else ""
        group = _Group(
            doc,
            rng,
            specs,
            id_prefix=f"{tag}-" if tag else "",
            host_prefix=f"{tag.lower()}-" if tag else "",
            label=f"groupe {g:0{width}d}" if region else "",
            standalone=standalone,
            # the other groups of a region are a little smaller than the template one
            scale=1.0 if g == 1 else rng.uniform(0.6, 1.0),
        )
        group.build()

    name = _GROUP["name"] if len(plan) == 1 else f"Région démo ({len(plan)} groupes hospitaliers)"
    return {
        "group": {**_GROUP, "name": name},
        "sites": doc.sites,
        "zones": doc.zones,
        "flows": doc.flows_out(),
        "hosts": doc.hosts_with_ips(),
        "applications": doc.apps,
        "services": doc.services,
    }
