"""The default reflex cards: what a care unit does when the network goes down.

One card per kind of care service (the ``kind`` of the group map's services), in French
and English, in the Markdown that `markdown_typst` reads. Each card fits on one A4 page:
a checklist for the first ten minutes, then what changes while on paper, then what to do
when the network comes back. A unit may replace its card; these are the starting point,
drawn from hospitals' downtime procedures (paper medication record, identity checked on
the wristband, results by phone and read back, samples labelled by hand at the bedside).
Kinds without a card of their own get the ward's.
"""

from __future__ import annotations

LANGUAGES = ("fr", "en")

# The lines every card shares, in each language.
_FIRST = {
    "fr": (
        "- [ ] Noter l'**heure du début de la panne** ; prévenir le cadre et le médecin de garde",
        "- [ ] Appeler la **cellule de crise** (numéros dans ce kit) : dire qui vous êtes,"
        " où, combien de patients",
        "- [ ] **Ne pas éteindre ni redémarrer** les postes, ne brancher aucune clé USB :"
        " suivre les consignes de la cellule",
    ),
    "en": (
        "- [ ] Write down the **time the outage began**; tell the charge nurse and the doctor"
        " on call",
        "- [ ] Call the **crisis cell** (numbers in this kit): who you are, where, how many"
        " patients",
        "- [ ] **Do not switch off or restart** computers, plug in no USB stick: follow the"
        " crisis cell's instructions",
    ),
}
_BACK = {
    "fr": (
        "## Au retour du réseau",
        "- Ne rien jeter : tout le papier est saisi après coup, **dans l'ordre chronologique**,"
        " chaque feuille marquée « saisi le … par … »",
        "- Revérifier les prescriptions ressaisies avant de reprendre l'informatique",
    ),
    "en": (
        "## When the network is back",
        "- Throw nothing away: every sheet is entered afterwards, **in time order**, each"
        ' marked "entered on … by …"',
        "- Check the re-entered prescriptions again before going back to the computer",
    ),
}
_TITLE = {"fr": "# {} — mode dégradé", "en": "# {} — downtime"}
_MINUTES = {"fr": "## Les 10 premières minutes", "en": "## The first 10 minutes"}
_DURING = {"fr": "## Pendant la panne", "en": "## During the outage"}

# kind -> language -> (unit name, first-minutes items, during items)
_CARDS: dict[str, dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]]] = {
    "icu": {
        "fr": (
            "Soins intensifs",
            (
                "- [ ] Vérifier au lit que **moniteurs, respirateurs, pousse-seringues**"
                " tournent en autonome ; la centrale de surveillance peut être perdue",
                "- [ ] Une infirmière par secteur **à portée des alarmes** ; tour visuel des"
                " patients",
                "- [ ] **Relever à la main** débits et concentrations de chaque pousse-seringue"
                " et pompe sur la feuille d'administration papier",
                "- [ ] Passer à la **feuille de surveillance horaire papier**",
                "- [ ] Vérifier le stock : catécholamines, sédation, chariot d'urgence, O₂",
            ),
            (
                "- Prescriptions **écrites, datées, signées** ; un ordre oral seulement en"
                " urgence vitale, répété à voix haute puis écrit",
                "- Gaz du sang sur l'**analyseur délocalisé** ; noter le résultat sur la feuille",
                "- Résultats du labo par téléphone : **relire à voix haute**, noter l'heure et"
                " le nom de l'appelant",
                "- Imagerie lue à la **console de l'appareil** ou par le radiologue au téléphone",
                "- Entrée : **bracelet d'identité manuscrit** (nom, prénom, date de naissance)",
                "- Lister les patients transférables si des lits sont demandés",
            ),
        ),
        "en": (
            "Intensive care",
            (
                "- [ ] Check at the bedside that **monitors, ventilators, syringe drivers**"
                " run standalone; the central station may be lost",
                "- [ ] One nurse per area **within earshot of the alarms**; look at every patient",
                "- [ ] **Copy by hand** the rate and concentration of every syringe driver and"
                " pump onto the paper medication record",
                "- [ ] Switch to the **paper hourly observation chart**",
                "- [ ] Check stock: vasopressors, sedation, crash trolley, oxygen",
            ),
            (
                "- Orders **written, dated, signed**; a verbal order only in a life-threatening"
                " emergency, read back aloud then written",
                "- Blood gases on the **point-of-care analyser**; write the result on the chart",
                "- Lab results by phone: **read them back**, write the time and the caller's name",
                "- Imaging read at the **modality console** or by the radiologist on the phone",
                "- Admission: **handwritten identity wristband** (name, first name, birth date)",
                "- List the patients who could be transferred if beds are needed",
            ),
        ),
    },
    "emergency": {
        "fr": (
            "Urgences",
            (
                "- [ ] Ouvrir le **registre papier des entrées** : heure, nom, date de"
                " naissance, motif, niveau de tri",
                "- [ ] Tri à l'accueil sur papier, avec l'échelle habituelle",
                "- [ ] **Tableau blanc** : chaque patient, son box, son médecin, son infirmière",
                "- [ ] **Bracelet manuscrit** à chaque entrée ; patient inconnu : identité"
                " provisoire selon la procédure",
                "- [ ] Désigner un **coursier** (labo, imagerie, pharmacie)",
                "- [ ] La cellule de crise informe le 112 / la régulation de la capacité réduite",
            ),
            (
                "- Demandes de labo et d'imagerie sur les **formulaires de ce kit**",
                "- Tubes **étiquetés à la main au lit** : nom, prénom, date de naissance,"
                " date, heure, initiales",
                "- Résultats par téléphone, **relus à voix haute** ; valeurs critiques d'abord",
                "- Sang : commande au dépôt **par téléphone et bon papier** ; contrôle ultime"
                " au lit",
                "- Hospitalisation : appeler l'unité, **feuille de transfert papier**",
            ),
        ),
        "en": (
            "Emergency department",
            (
                "- [ ] Open the **paper arrivals log**: time, name, birth date, complaint,"
                " triage level",
                "- [ ] Triage at the door on paper, with the usual scale",
                "- [ ] **Whiteboard**: every patient, their bay, their doctor, their nurse",
                "- [ ] **Handwritten wristband** on arrival; unknown patient: temporary"
                " identity as the procedure says",
                "- [ ] Name a **runner** (lab, imaging, pharmacy)",
                "- [ ] The crisis cell tells ambulance dispatch of the reduced capacity",
            ),
            (
                "- Lab and imaging requests on **this kit's forms**",
                "- Tubes **labelled by hand at the bedside**: name, first name, birth date,"
                " date, time, initials",
                "- Results by phone, **read back aloud**; critical values first",
                "- Blood: order from the blood bank **by phone and paper slip**; final check at"
                " the bedside",
                "- Admission to a ward: call the unit, **paper transfer sheet**",
            ),
        ),
    },
    "dialysis": {
        "fr": (
            "Dialyse",
            (
                "- [ ] Les **générateurs fonctionnent en autonome** : ne pas interrompre les"
                " séances en cours",
                "- [ ] Programmer à la main chaque séance d'après la **dernière prescription"
                " papier** (durée, UF, débit, bain, anticoagulation)",
                "- [ ] **Feuille de séance papier** : poids, TA, pouls avant, pendant, après",
                "- [ ] Vérifier le **traitement d'eau** sur place (alarmes de l'osmoseur) ;"
                " prévenir le technicien",
            ),
            (
                "- Suivre le **planning de ce kit** ; prévenir patients et ambulances par"
                " téléphone de tout décalage",
                "- Priorité aux patients à risque (**hyperkaliémie**, surcharge, séance manquée)",
                "- Kaliémie urgente : labo par téléphone ou analyseur délocalisé",
                "- Aucune séance supprimée sans avis du néphrologue ; si impossible, orienter"
                " vers un autre centre via la cellule",
            ),
        ),
        "en": (
            "Dialysis",
            (
                "- [ ] **Dialysis machines run standalone**: do not stop the sessions under way",
                "- [ ] Set each session by hand from the **last paper prescription** (duration,"
                " UF, blood flow, dialysate, anticoagulation)",
                "- [ ] **Paper session chart**: weight, BP, pulse before, during, after",
                "- [ ] Check **water treatment** on site (reverse osmosis alarms); call the"
                " technician",
            ),
            (
                "- Follow **this kit's schedule**; phone patients and ambulances about any delay",
                "- Patients at risk first (**hyperkalaemia**, fluid overload, missed session)",
                "- Urgent potassium: lab by phone or point-of-care analyser",
                "- No session cancelled without the nephrologist; if impossible, send to another"
                " centre through the crisis cell",
            ),
        ),
    },
    "surgery": {
        "fr": (
            "Bloc opératoire",
            (
                "- [ ] Le **programme de ce kit** fait foi ; les changements au tableau blanc",
                "- [ ] Anesthésiste et chirurgien responsables décident : **urgences seules**"
                " ou programme réduit",
                "- [ ] Respirateurs et moniteurs en autonome ; **feuille d'anesthésie papier**",
                "- [ ] **Check-list sécurité au bloc** sur papier pour chaque patient",
            ),
            (
                "- **Traçabilité de la stérilisation sur papier** : coller ou recopier"
                " l'étiquette de chaque boîte et de chaque implant sur la feuille"
                " d'intervention",
                "- Sang : dépôt **par téléphone et bon papier** ; contrôle ultime au lit",
                "- Pièces d'anatomopathologie : pots **étiquetés à la main**, bon papier",
                "- Amplificateur de brillance en local : noter dose et temps de scopie",
                "- Vérifier l'**identité au bracelet** à l'accueil du bloc et avant l'incision",
            ),
        ),
        "en": (
            "Operating theatre",
            (
                "- [ ] **This kit's list** is the reference; changes go on the whiteboard",
                "- [ ] The lead anaesthetist and surgeon decide: **emergencies only** or a"
                " reduced list",
                "- [ ] Ventilators and monitors standalone; **paper anaesthetic record**",
                "- [ ] **Surgical safety checklist** on paper for every patient",
            ),
            (
                "- **Sterilisation traceability on paper**: stick or copy the label of every"
                " tray and every implant onto the operation sheet",
                "- Blood: from the blood bank **by phone and paper slip**; final bedside check",
                "- Pathology specimens: pots **labelled by hand**, paper request",
                "- Image intensifier works locally: write down dose and fluoroscopy time",
                "- Check **identity on the wristband** on arrival and before incision",
            ),
        ),
    },
    "radiology": {
        "fr": (
            "Imagerie",
            (
                "- [ ] Les **appareils fonctionnent en autonome** : images lues à la console"
                " de l'appareil",
                "- [ ] Sans liste de travail : **saisir l'identité à la main** (nom, prénom,"
                " date de naissance), relue par un second",
                "- [ ] Ouvrir un **registre papier** des examens avec un numéro provisoire",
                "- [ ] Garder les images sur l'appareil : **ne rien effacer** ; surveiller"
                " l'espace disque",
            ),
            (
                "- Priorité : urgences, soins intensifs, bloc, hospitalisés ; reporter les"
                " examens programmés non urgents",
                "- Compte rendu écrit ou **téléphoné** au demandeur ; résultat critique appelé"
                " tout de suite et relu",
                "- Produit de contraste : créatinine et allergies vérifiées par téléphone ou"
                " sur le bon",
            ),
        ),
        "en": (
            "Imaging",
            (
                "- [ ] **Modalities run standalone**: images read at the modality console",
                "- [ ] With no worklist: **type the identity by hand** (name, first name,"
                " birth date), checked by a second person",
                "- [ ] Open a **paper log** of the examinations with a temporary number",
                "- [ ] Keep the images on the modality: **delete nothing**; watch disk space",
            ),
            (
                "- First: emergency, intensive care, theatre, inpatients; postpone routine"
                " outpatient examinations",
                "- Report written or **phoned** to the requester; critical finding called at"
                " once and read back",
                "- Contrast: creatinine and allergies checked by phone or on the request",
            ),
        ),
    },
    "lab": {
        "fr": (
            "Laboratoire",
            (
                "- [ ] Ouvrir le **registre papier** des demandes, numérotées dans l'ordre",
                "- [ ] Analyseurs en **mode autonome** : saisie de l'identité sur l'automate",
                "- [ ] Vérifier l'**étiquetage manuscrit** : nom, prénom, date de naissance,"
                " date, heure, préleveur",
                "- [ ] Dire aux unités : **urgences d'abord**, demandes réduites au nécessaire",
            ),
            (
                "- Tube non étiqueté : refusé, sauf prélèvement irremplaçable (procédure)",
                "- **Valeurs critiques téléphonées** tout de suite ; l'unité **relit à voix"
                " haute** ; noter l'heure et le nom",
                "- Autres résultats sur papier, portés par coursier",
                "- Dépôt de sang : délivrances notées sur le **registre papier**",
            ),
        ),
        "en": (
            "Laboratory",
            (
                "- [ ] Open the **paper log** of requests, numbered in order",
                "- [ ] Analysers in **standalone mode**: identity typed on the analyser",
                "- [ ] Check the **handwritten labels**: name, first name, birth date, date,"
                " time, who sampled",
                "- [ ] Tell the units: **urgent first**, requests cut to what is needed",
            ),
            (
                "- Unlabelled tube: refused, unless the sample cannot be taken again (procedure)",
                "- **Critical values phoned** at once; the unit **reads them back**; write the"
                " time and the name",
                "- Other results on paper, taken by a runner",
                "- Blood bank: every unit issued written in the **paper register**",
            ),
        ),
    },
    "pharmacy": {
        "fr": (
            "Pharmacie",
            (
                "- [ ] **Armoires automatisées** : procédure d'accès en mode dégradé, chaque"
                " sortie notée sur papier",
                "- [ ] Délivrer sur **prescription papier** datée et signée",
                "- [ ] **Stupéfiants** : registre et bons papier habituels",
                "- [ ] Prévoir des **dotations pour 48 à 72 h** ; tournées de coursier",
            ),
            (
                "- Priorité : soins intensifs, urgences, bloc, dialyse, oncologie",
                "- Chimiothérapies : protocoles validés sur papier, **double contrôle** ;"
                " aucun nouveau protocole sans le pharmacien",
                "- Registre papier de toutes les délivrances",
            ),
        ),
        "en": (
            "Pharmacy",
            (
                "- [ ] **Automated cabinets**: downtime access procedure, every removal"
                " written on paper",
                "- [ ] Dispense on **paper prescriptions**, dated and signed",
                "- [ ] **Controlled drugs**: the usual register and paper slips",
                "- [ ] Plan **48 to 72 h supplies** for the units; runner rounds",
            ),
            (
                "- First: intensive care, emergency, theatre, dialysis, oncology",
                "- Chemotherapy: validated protocols on paper, **double check**; no new"
                " protocol without the pharmacist",
                "- Paper log of everything dispensed",
            ),
        ),
    },
    "consultation": {
        "fr": (
            "Consultations",
            (
                "- [ ] Le **planning de ce kit** fait foi pour accueillir les patients",
                "- [ ] Avec le médecin responsable : garder les **consultations urgentes**,"
                " reporter les autres",
                "- [ ] Patients reportés : les **appeler** (numéros dans le planning)",
            ),
            (
                "- Vérifier l'**identité** (carte d'identité, date de naissance) à l'accueil",
                "- Note de consultation sur papier ; demander au patient ses documents et la"
                " liste de ses traitements",
                "- Prescriptions sur **ordonnance papier**",
                "- Tenir la liste des patients vus, pour la saisie au retour",
            ),
        ),
        "en": (
            "Outpatient clinic",
            (
                "- [ ] **This kit's schedule** is the reference to receive patients",
                "- [ ] With the doctor in charge: keep **urgent appointments**, postpone the rest",
                "- [ ] Postponed patients: **phone them** (numbers in the schedule)",
            ),
            (
                "- Check **identity** (ID card, birth date) at the desk",
                "- Consultation note on paper; ask patients for their letters and their list of"
                " medicines",
                "- Prescriptions on **paper**",
                "- Keep the list of patients seen, to enter when the network is back",
            ),
        ),
    },
    "maternity": {
        "fr": (
            "Maternité et salle de naissance",
            (
                "- [ ] Les **cardiotocographes** impriment sur papier : nom, date, heure sur"
                " chaque tracé",
                "- [ ] **Partogramme papier** pour chaque femme en travail",
                "- [ ] Naissance : **bracelets mère-enfant** posés et vérifiés en salle",
                "- [ ] Passer à la feuille d'administration papier",
            ),
            (
                "- Groupe sanguin et agglutinines : demander au labo par téléphone",
                "- Césarienne urgente : bloc et anesthésiste par téléphone direct",
                "- Tout transfert de nouveau-né : identité vérifiée au bracelet",
                "- Sorties : liste papier des départs mère-enfant",
            ),
        ),
        "en": (
            "Maternity and delivery suite",
            (
                "- [ ] **CTG monitors** print on paper: name, date, time on every trace",
                "- [ ] **Paper partogram** for every woman in labour",
                "- [ ] Birth: **mother-baby wristbands** put on and checked in the room",
                "- [ ] Switch to the paper medication record",
            ),
            (
                "- Blood group and antibodies: ask the lab by phone",
                "- Emergency caesarean: theatre and anaesthetist on their direct lines",
                "- Any transfer of a newborn: identity checked on the wristband",
                "- Discharges: paper list of mothers and babies leaving",
            ),
        ),
    },
    "neonatology": {
        "fr": (
            "Néonatologie",
            (
                "- [ ] **Incubateurs, moniteurs, respirateurs** en autonome : vérifier les"
                " alarmes au lit",
                "- [ ] **Relever à la main** les débits des pousse-seringues",
                "- [ ] Passer aux feuilles de surveillance et d'administration papier",
            ),
            (
                "- Doses calculées au **poids** : **double contrôle** par deux soignants",
                "- Lait maternel : étiquette manuscrite, vérifiée au **bracelet** avant"
                " chaque repas",
                "- Résultats par téléphone, relus à voix haute",
            ),
        ),
        "en": (
            "Neonatal unit",
            (
                "- [ ] **Incubators, monitors, ventilators** standalone: check the bedside alarms",
                "- [ ] **Copy by hand** the syringe drivers' rates",
                "- [ ] Switch to the paper observation and medication charts",
            ),
            (
                "- Doses by **weight**: **double check** by two nurses",
                "- Breast milk: handwritten label, checked against the **wristband** before"
                " every feed",
                "- Results by phone, read back aloud",
            ),
        ),
    },
    "ward": {
        "fr": (
            "Unité d'hospitalisation",
            (
                "- [ ] Tour des chambres : chaque patient du recensement est là et porte son"
                " **bracelet**",
                "- [ ] Passer à la **feuille d'administration papier** : recopier les"
                " traitements en cours ; au moindre doute, le médecin réécrit la prescription",
                "- [ ] Sonnette peut-être hors service : **tour horaire** des chambres",
            ),
            (
                "- **Identité au bracelet** (nom, date de naissance) avant tout soin,"
                " médicament, prélèvement, transfert",
                "- Tubes **étiquetés à la main** au lit ; bons de labo et d'imagerie de ce kit",
                "- Résultats par téléphone, **relus à voix haute** ; noter l'heure et le nom",
                "- Entrées, sorties, transferts : formulaires de ce kit, admissions prévenues"
                " par téléphone ; tenir un **cahier des mouvements**",
                "- Cuisine prévenue par téléphone : régimes, patients à jeun",
            ),
        ),
        "en": (
            "Ward",
            (
                "- [ ] Round of the rooms: every patient of the census is there and wears their"
                " **wristband**",
                "- [ ] Switch to the **paper medication record**: copy the current medicines;"
                " if in any doubt, the doctor writes the order again",
                "- [ ] Nurse call may be down: **hourly rounds**",
            ),
            (
                "- **Identity on the wristband** (name, birth date) before any care, medicine,"
                " sample, transfer",
                "- Tubes **labelled by hand** at the bedside; this kit's lab and imaging forms",
                "- Results by phone, **read back aloud**; write the time and the name",
                "- Admissions, discharges, transfers: this kit's forms, admissions office told"
                " by phone; keep a **movements log**",
                "- Kitchen told by phone: diets, nil by mouth",
            ),
        ),
    },
}

#: The kinds that have a card of their own; any other kind gets the ward's.
KINDS_WITH_CARDS = tuple(_CARDS)
#: Kinds that share another kind's card.
ALIASES = {"transfusion": "lab", "day_hospital": "consultation", "physiotherapy": "consultation"}


def card_kind(kind: str) -> str:
    """The kind whose card a service of ``kind`` gets."""
    kind = ALIASES.get(kind, kind)
    return kind if kind in _CARDS else "ward"


def default_card(kind: str, lang: str = "fr") -> str:
    """The default reflex card (Markdown) of a kind of care service; French if ``lang`` is
    not one of `LANGUAGES`."""
    lang = lang if lang in LANGUAGES else "fr"
    name, first, during = _CARDS[card_kind(kind)][lang]
    lines = [_TITLE[lang].format(name), "", _MINUTES[lang], *_FIRST[lang], *first, ""]
    lines += [_DURING[lang], *during, "", *_BACK[lang]]
    return "\n".join(lines) + "\n"
