"""French names for the demo federation (issue #18): its units, indicators and priorities,
written for the demo (simulated translations, not official names except where the place is
known by one), so the French documents and the JSON show both languages."""

from __future__ import annotations

# The nation and the provinces and territories: their official French names.
PROVINCE_NAMES_FR = {
    "CA": "Canada", "NL": "Terre-Neuve-et-Labrador", "PE": "Île-du-Prince-Édouard",
    "NS": "Nouvelle-Écosse", "NB": "Nouveau-Brunswick", "QC": "Québec", "ON": "Ontario",
    "MB": "Manitoba", "SK": "Saskatchewan", "AB": "Alberta", "BC": "Colombie-Britannique",
    "YT": "Yukon", "NT": "Territoires du Nord-Ouest", "NU": "Nunavut",
}

# Regions whose French name differs from the English one (the rest are place names that
# read the same in both languages: Montréal, Winnipeg, Qikiqtaaluk...).
REGION_NAMES_FR = {
    "NL-EAS": "Santé de l’Est", "NL-CEN": "Santé du Centre", "NL-WES": "Santé de l’Ouest",
    "NL-LAB": "Santé Labrador-Grenfell",
    "PE-QUE": "Comté de Queens", "PE-PRI": "Comté de Prince", "PE-KIN": "Comté de Kings",
    "NS-CEN": "Zone centrale", "NS-EAS": "Zone de l’Est", "NS-NOR": "Zone du Nord",
    "NS-WES": "Zone de l’Ouest",
    "NB-MON": "Région de Moncton (zone 1)", "NB-SJO": "Région de Saint-Jean (zone 2)",
    "NB-FRE": "Région de Fredericton (zone 3)",
    "NB-NOR": "Nord du Nouveau-Brunswick (zones 4 à 7)",
    "QC-MAU": "Mauricie-et-Centre-du-Québec",
    "QC-EAS": "Est du Québec (du Saguenay à la Gaspésie et à la Côte-Nord)",
    "QC-NOR": "Abitibi-Témiscamingue et Nord-du-Québec",
    "ON-SWE": "Sud-Ouest", "ON-CWE": "Centre-Ouest", "ON-TOR": "Centre-Toronto",
    "ON-CEN": "Centre", "ON-CEA": "Centre-Est", "ON-SEA": "Sud-Est",
    "ON-NSM": "Simcoe Nord Muskoka", "ON-NEA": "Nord-Est", "ON-NWE": "Nord-Ouest",
    "MB-NOR": "Région sanitaire du Nord",
    "SK-SAS": "Région de Saskatoon", "SK-REG": "Région de Regina",
    "SK-SOU": "Sud de la Saskatchewan", "SK-CEN": "Centre de la Saskatchewan",
    "SK-NOR": "Nord de la Saskatchewan",
    "AB-CAL": "Zone de Calgary", "AB-EDM": "Zone d’Edmonton", "AB-CEN": "Zone centrale",
    "AB-SOU": "Zone sud", "AB-NOR": "Zone nord",
    "BC-FRA": "Santé Fraser", "BC-VCH": "Santé côtière de Vancouver", "BC-VIS": "Santé de l’Île",
    "BC-INT": "Santé de l’Intérieur", "BC-NOR": "Santé du Nord",
    "YT-RUR": "Yukon rural", "NT-OUT": "Collectivités hors de Yellowknife",
}


# The levels of the demo federation in French (units.csv's level_fr).
LEVEL_NAMES_FR = {"nation": "pays", "province": "province ou territoire", "region": "région"}


def unit_name_fr(code: str, english: str) -> str:
    """A demo unit's French name: the official one, a translation, or the place name."""
    return PROVINCE_NAMES_FR.get(code) or REGION_NAMES_FR.get(code) or english


INDICATOR_NAMES_FR = {
    "population": "Population",
    "surg_completed": "Chirurgies prioritaires réalisées",
    "surg_within_benchmark": "Chirurgies prioritaires réalisées dans le délai de référence",
    "surg_within_benchmark_pct": "Chirurgies dans le délai d’attente de référence",
    "or_hours": "Heures de bloc opératoire assurées",
    "surg_referrals": "Demandes de consultation chirurgicale reçues",
    "surg_removed_without_surgery": "Patients retirés de la liste sans chirurgie",
    "surg_list_exits": "Toutes les sorties de la liste d’attente chirurgicale",
    "surg_removed_pct": "Sorties de la liste d’attente sans chirurgie",
    "violent_incidents": "Affaires criminelles de violence",
    "unfounded_incidents": "Signalements de violence classés non fondés",
    "violent_reports": "Affaires de violence signalées à la police",
    "violent_crime_rate": "Taux de crimes violents",
    "weapons_calls": "Appels de service impliquant des armes",
    "youth_program_participants": "Participants aux programmes jeunesse de prévention",
    "unfounded_pct": "Part des signalements de violence classés non fondés",
    "police_officers": "Policiers",
    "grade3_enrolled": "Effectif de 3e année",
    "grade3_assessed": "Élèves de 3e année évalués",
    "grade3_exempted": "Élèves de 3e année exemptés",
    "grade3_reading_pct": "Élèves de 3e année lisant au niveau attendu",
    "grade3_exempted_pct": "Élèves de 3e année exemptés de l’évaluation",
    "k3_enrolment": "Effectif de la maternelle à la 3e année",
    "students_screened": "Jeunes élèves ayant fait l’objet d’un dépistage",
    "literacy_screening_pct": "Dépistage en lecture des jeunes élèves",
    "reading_tutors_fte": "Tuteurs en lecture en poste",
    "housing_permits": "Logements autorisés par des permis",
    "housing_starts": "Mises en chantier",
    "housing_completions": "Achèvements de logements",
    "affordable_completions": "Achèvements de logements abordables",
    "affordable_share_pct": "Part des logements abordables dans les achèvements",
    "completions_per_100k": "Achèvements de logements pour 100 000 habitants",
    "chronic_homeless": "Personnes en situation d’itinérance chronique",
    "eviction_filings": "Demandes d’expulsion",
    "housing_placements": "Personnes logées après l’itinérance",
    "returns_to_homelessness_pct": "Retours à l’itinérance",
    "shelter_beds": "Lits d’hébergement d’urgence",
}

# The indicators' units of measure, by their English (simulated translations too).
UNITS_OF_MEASURE_FR = {
    "percent": "pour cent",
    "students": "élèves",
    "dwellings": "logements",
    "people": "personnes",
    "patients": "patients",
    "surgeries": "chirurgies",
    "reports": "signalements",
    "hours": "heures",
    "incidents": "incidents",
    "incidents per 100,000 per month": "incidents pour 100 000 par mois",
    "calls": "appels",
    "participants": "participants",
    "officers": "policiers",
    "FTE": "ETP",
    "dwellings per 100,000": "logements pour 100 000",
    "applications": "demandes",
    "beds": "lits",
}

PRIORITY_TITLES_FR = {
    "SURG": ("Réduire les délais d’attente en chirurgie",
             "Les patients obtiennent leur chirurgie prioritaire dans le délai médicalement "
             "recommandé, où qu’ils vivent."),
    "CRIME": ("Réduire les crimes violents",
              "Moins de personnes sont victimes de violence, dans chaque province et "
              "territoire."),
    "LIT": ("Chaque enfant lit en 3e année",
            "Les enfants terminent leur 3e année en sachant lire, pour lire afin "
            "d’apprendre."),
    "HOUS": ("Construire plus de logements",
             "Assez de logements sont achevés chaque année pour rendre le logement "
             "accessible."),
    "HOME": ("Réduire de moitié l’itinérance chronique",
             "L’itinérance chronique est rare, brève et ne se reproduit pas."),
}


# -- the routines: plans and chains (simulated translations, like the rest) ------------------

# The bodies of each priority's story, its interventions, risks and the evidence of its
# chain's links, English -> French. A phrase absent here is left without French, and
# `stocktake plan load` would warn of it.
DELIVERY_FR = {
    # departments, ministries, local bodies, frontline and external bodies
    "Health Canada (simulated)": "Santé Canada (simulé)",
    "Public Safety (simulated)": "Sécurité publique (simulé)",
    "Council of education ministers (simulated)": "Conseil des ministres de l’Éducation "
                                                  "(simulé)",
    "Housing, Infrastructure and Communities (simulated)": "Logement, Infrastructure et "
                                                           "Collectivités (simulé)",
    "Reaching Home (simulated)": "Vers un chez-soi (simulé)",
    "Ministry of Health": "Ministère de la Santé",
    "Ministry of Justice": "Ministère de la Justice",
    "Ministry of Education": "Ministère de l’Éducation",
    "Ministry of Housing": "Ministère du Logement",
    "Ministry of Social Services": "Ministère des Services sociaux",
    "health region": "Région sanitaire",
    "police service": "Service de police",
    "school board": "Conseil scolaire",
    "municipality": "Municipalité",
    "community entity": "Entité communautaire",
    "surgical teams": "équipes chirurgicales",
    "patrol and youth workers": "patrouilleurs et intervenants jeunesse",
    "grade 1-3 teachers": "enseignants de la 1re à la 3e année",
    "builders and permit offices": "constructeurs et bureaux des permis",
    "shelter and outreach staff": "personnel des refuges et de proximité",
    "Wait-time registry (simulated)": "Registre des temps d’attente (simulé)",
    "Crime statistics office (simulated)": "Bureau de la statistique criminelle (simulé)",
    "Assessment agency (simulated)": "Organisme d’évaluation (simulé)",
    "Mortgage and housing agency (simulated)": "Société d’hypothèques et de logement "
                                               "(simulé)",
    "Homelessness information system (simulated)": "Système d’information sur "
                                                   "l’itinérance (simulé)",
    # interventions (those of the trajectories included)
    "Regional surgical centres open": "Ouverture de centres chirurgicaux régionaux",
    "Central referral and pooled wait lists": "Orientation centralisée et listes d’attente "
                                              "communes",
    "Extended operating-room hours": "Heures de bloc opératoire prolongées",
    "Focused deterrence in the ten worst neighbourhoods": "Dissuasion ciblée dans les dix "
                                                          "quartiers les plus touchés",
    "Youth intervention programmes": "Programmes d’intervention auprès des jeunes",
    "Illegal-firearms task forces": "Groupes de travail sur les armes à feu illégales",
    "Universal literacy screening in grades 1-2": "Dépistage universel en lecture en 1re et "
                                                  "2e année",
    "Reading tutors in every school": "Tuteurs en lecture dans chaque école",
    "Structured-literacy training for teachers": "Formation des enseignants à "
                                                 "l’enseignement structuré de la lecture",
    "Housing accelerator fund": "Fonds pour accélérer la construction de logements",
    "Faster permits: 60-day guarantee": "Permis plus rapides : garantie de 60 jours",
    "Factory-built homes programme": "Programme de maisons usinées",
    "Coordinated access on every by-name list": "Accès coordonné sur chaque liste nominative",
    "Rent supplements for people leaving shelters": "Suppléments au loyer pour les personnes "
                                                    "qui quittent un refuge",
    "Supportive housing units open": "Ouverture de logements avec services de soutien",
    # risks
    "Anaesthetist shortages limit extra operating-room hours": "La pénurie "
        "d’anesthésiologistes limite les heures de bloc opératoire supplémentaires",
    "Wait lists are 'validated' to remove hard cases": "Les listes d’attente sont « validées » "
        "pour en retirer les cas difficiles",
    "Winter surges cancel elective surgery": "Les pointes hivernales font annuler les "
                                             "chirurgies non urgentes",
    "Reclassification hides real violence (counter: unfounded %)": "Le reclassement masque "
        "la violence réelle (contre-indicateur : % non fondés)",
    "Youth programme places unfilled": "Places des programmes jeunesse non pourvues",
    "Police services stop sharing incident-level data": "Les services de police cessent "
        "de transmettre les données par incident",
    "Weak readers exempted from the assessment": "Les lecteurs faibles sont exemptés de "
                                                 "l’évaluation",
    "Tutor recruitment stalls in rural boards": "Le recrutement de tuteurs piétine dans les "
                                                "conseils ruraux",
    "Interest rates slow starts": "Les taux d’intérêt ralentissent les mises en chantier",
    "Completions rise only in market housing": "Les achèvements n’augmentent que dans le "
                                               "logement du marché",
    "Placements into housing that does not last": "Des placements en logement qui ne durent "
                                                  "pas",
    "Supportive housing construction delayed": "Construction de logements avec services de "
                                               "soutien retardée",
    "Rents rise faster than supplements": "Les loyers augmentent plus vite que les "
                                          "suppléments",
    "By-name lists miss people sleeping outside shelters": "Les listes nominatives "
        "oublient les personnes qui dorment hors des refuges",
    # the evidence of the chains' links
    "monthly feed": "flux mensuel",
    "returns late and incomplete": "déclarations tardives et incomplètes",
    "Winnipeg's operating-room returns arrive 6-8 weeks late": "Les déclarations du bloc "
        "opératoire de Winnipeg arrivent avec 6 à 8 semaines de retard",
    "registry refreshed monthly": "registre mis à jour chaque mois",
    "Winnipeg reclassified violent reports as unfounded from 2024; counts not comparable":
        "Winnipeg classe des signalements de violence comme non fondés depuis 2024 : "
        "chiffres non comparables",
    "one analyst for the territory; returns often late": "un seul analyste pour le "
        "territoire; déclarations souvent en retard",
    "board returns complete; exemptions rising in Mississauga": "déclarations des conseils "
        "complètes; exemptions en hausse à Mississauga",
    "screening tools not yet in Inuktitut": "outils de dépistage pas encore offerts en "
                                            "inuktitut",
    "permit data shared quarterly, not monthly": "données sur les permis transmises chaque "
                                                 "trimestre, et non chaque mois",
    "starts and completions survey monthly": "enquête mensuelle sur les mises en chantier et "
                                             "les achèvements",
    "by-name list covers 60% of shelters": "la liste nominative couvre 60 % des refuges",
    "no by-name list; counts are point-in-time estimates": "aucune liste nominative : les "
        "chiffres sont des estimations ponctuelles",
}

# A milestone's stage, after its intervention's name.
MILESTONE_STAGES_FR = {"funding agreed": "financement conclu",
                       "fully running": "pleinement en place"}
RECOVERY_PLAN_FR = "Plan de redressement pour les unités les plus en retard"


def delivery_fr(english: str) -> str | None:
    """The French of a phrase of the demo's plans and chains, or None."""
    return DELIVERY_FR.get(english)


# -- the commitments: most of the 500 carry a French text (simulated) ----------------------

VERBS_FR = {"Introduce": "Instaurer", "Expand": "Élargir", "Fund": "Financer",
            "Review": "Revoir", "Launch": "Lancer", "Modernise": "Moderniser",
            "Reform": "Réformer", "Publish": "Publier", "Double": "Doubler",
            "Establish": "Établir"}
OBJECTS_FR = {"a national strategy for {}": "une stratégie nationale pour {}",
              "support for {} in rural communities": "le soutien pour {} dans les "
                                                     "collectivités rurales",
              "the data on {} every quarter": "les données sur {} chaque trimestre",
              "a fund for {}": "un fonds pour {}", "legislation on {}": "la législation sur {}",
              "a pilot programme for {}": "un programme pilote pour {}",
              "the standards for {}": "les normes pour {}",
              "training places in {}": "les places de formation en {}"}
TOPICS_FR = {
    "primary care": "les soins primaires", "mental health": "la santé mentale",
    "long-term care": "les soins de longue durée", "pharmacare": "l’assurance médicaments",
    "youth violence": "la violence chez les jeunes",
    "border services": "les services frontaliers",
    "emergency response": "les interventions d’urgence",
    "early learning": "l’apprentissage préscolaire",
    "adult literacy": "l’alphabétisation des adultes",
    "skills for trades": "les compétences pour les métiers",
    "affordable housing": "le logement abordable", "public transit": "le transport en commun",
    "water systems": "les réseaux d’aqueduc", "tax fairness": "l’équité fiscale",
    "small business credit": "le crédit aux petites entreprises",
    "pension security": "la sécurité des pensions",
    "clean electricity": "l’électricité propre", "protected areas": "les aires protégées",
    "methane reduction": "la réduction du méthane", "rail safety": "la sécurité ferroviaire",
    "airport capacity": "la capacité des aéroports",
    "electric vehicles": "les véhicules électriques", "child care": "la garde d’enfants",
    "disability benefits": "les prestations d’invalidité",
    "student grants": "les bourses d’études",
}


def commitment_fr(verb: str, obj: str, topic: str) -> tuple[str, str]:
    """A simulated commitment's French text and rationale, from the English parts."""
    french_topic = TOPICS_FR[topic]
    text = f"{VERBS_FR[verb]} {OBJECTS_FR[obj].format(french_topic)} (simulé)"
    return text, f"Engagement de lettre de mandat sur {french_topic} (simulé)"


# The indicators' definitions (simulated translations), so that the demo's model passes
# `stocktake load --require-languages en,fr`.
INDICATOR_DEFINITIONS_FR = {
    "population": "Population estimée le premier jour du mois (interpolée à partir des "
                  "estimations trimestrielles; révisée chaque printemps).",
    "surg_completed": "Chirurgies programmées de la hanche, du genou, de la cataracte, du "
                      "cancer et du cœur réalisées dans le mois.",
    "surg_within_benchmark": "Parmi les chirurgies réalisées, celles faites dans le délai "
                             "médicalement recommandé, compté à partir de la décision de "
                             "traiter.",
    "surg_within_benchmark_pct": "Part des chirurgies prioritaires réalisées dans le délai "
                                 "médicalement recommandé.",
    "or_hours": "Heures de bloc opératoire dotées en personnel et utilisées pour des "
                "chirurgies programmées dans le mois.",
    "surg_referrals": "Nouveaux patients inscrits sur les listes d’attente chirurgicales "
                      "dans le mois.",
    "surg_removed_without_surgery": "Patients retirés d’une liste d’attente chirurgicale "
                                    "dans le mois pour une autre raison que la chirurgie "
                                    "(validation, transfert, décès, refus).",
    "surg_list_exits": "Chirurgies réalisées, plus les patients retirés sans chirurgie.",
    "surg_removed_pct": "Part des patients quittant une liste d’attente chirurgicale sans "
                        "chirurgie : une hausse peut signifier qu’on épure les listes pour "
                        "embellir les délais.",
    "violent_incidents": "Affaires de violence prévues au Code criminel déclarées par la "
                         "police dans le mois, signalements non fondés exclus.",
    "unfounded_incidents": "Signalements de violence que la police a classés non fondés "
                           "(aucun crime commis ni tenté).",
    "violent_reports": "Tous les signalements de violence : affaires fondées et "
                       "signalements non fondés.",
    "violent_crime_rate": "Affaires de violence déclarées par la police pour 100 000 "
                          "habitants dans le mois.",
    "weapons_calls": "Appels de service à la police où une arme a été signalée.",
    "youth_program_participants": "Jeunes participant dans le mois à des programmes "
                                  "financés de prévention de la violence.",
    "unfounded_pct": "Part des signalements de violence classés non fondés : une hausse peut "
                     "signifier que des affaires sont écartées plutôt que prévenues.",
    "police_officers": "Policiers assermentés au 15 mai.",
    "grade3_enrolled": "Élèves inscrits en 3e année.",
    "grade3_assessed": "Élèves de 3e année ayant passé l’évaluation mensuelle de référence "
                       "en lecture.",
    "grade3_exempted": "Élèves de 3e année exemptés de l’évaluation de référence en lecture.",
    "grade3_reading_pct": "Part des élèves de 3e année évalués qui atteignent la norme de "
                          "lecture.",
    "grade3_exempted_pct": "Part des élèves de 3e année exemptés : une hausse peut signifier "
                           "qu’on tient les lecteurs faibles à l’écart des résultats.",
    "k3_enrolment": "Élèves inscrits de la maternelle à la 3e année.",
    "students_screened": "Élèves de la maternelle à la 3e année ayant fait l’objet d’un "
                         "dépistage des difficultés de lecture au cours des 12 derniers mois.",
    "literacy_screening_pct": "Part des élèves de la maternelle à la 3e année ayant fait "
                              "l’objet d’un dépistage des difficultés de lecture au cours "
                              "des 12 derniers mois.",
    "reading_tutors_fte": "Tuteurs en lecture des premières années financés par la province, "
                          "en équivalents temps plein.",
    "housing_permits": "Nouveaux logements prévus dans les permis de bâtir délivrés dans le "
                       "mois.",
    "housing_starts": "Logements dont la construction a commencé dans le mois.",
    "housing_completions": "Logements achevés dans le mois.",
    "affordable_completions": "Logements achevés dont le loyer ou le prix est inférieur à "
                              "80 % du marché local.",
    "affordable_share_pct": "Part des logements achevés qui sont abordables : une baisse peut "
                            "signifier que la cible est atteinte avec des logements que peu "
                            "de personnes dans le besoin peuvent payer.",
    "completions_per_100k": "Logements achevés pour 100 000 habitants dans le mois.",
    "chronic_homeless": "Personnes inscrites sur la liste nominative de la collectivité qui "
                        "ont été en situation d’itinérance six mois ou plus au cours de la "
                        "dernière année.",
    "eviction_filings": "Demandes des propriétaires au tribunal du logement pour mettre fin à "
                        "une location pour arriérés de loyer.",
    "housing_placements": "Personnes passées de l’itinérance à un logement permanent dans le "
                          "mois.",
    "returns_to_homelessness_pct": "Part des personnes logées dans le mois qui reviennent sur "
                                   "la liste nominative dans les six mois : une hausse peut "
                                   "signifier des placements qui ne durent pas.",
    "shelter_beds": "Lits d’hébergement d’urgence disponibles le dernier jour du trimestre.",
}
