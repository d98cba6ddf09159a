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
