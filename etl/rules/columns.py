"""The columns of each care input: canonical names, the headers that mean them (Dutch and English), value sets."""

from __future__ import annotations

CARE_TYPES = ("buurtteam", "specialistisch", "verblijf", "jeugdbescherming")
TOTAL = "totaal"
SOORTEN_CASELOAD = (*CARE_TYPES, TOTAL)
TEAM_SOORTEN = CARE_TYPES[:2]  # the kinds of team: the two care types a team gives
SOORT_BUURTTEAM, SOORT_SPECIALIST = TEAM_SOORTEN
KNOWN_ORGANISATIONS = ("Lokalis", "KOOS", "Spoor030")
DEFAULT_PROVIDERS = ("KOOS", "Spoor030")

_BUURT = ("buurt", "bu_code", "buurt_code", "code_buurt", "neighbourhood", "neighbourhood_code", "neighborhood_code")
_WIJK = ("wijk", "wk_code", "wijk_code", "code_wijk", "district", "district_code")

TEAMS: dict[str, tuple[str, ...]] = {
    "team_id": ("teamid", "id", "team_code", "teamcode", "team_nr", "teamnummer"),
    "naam": ("name", "teamnaam", "team_naam", "team_name", "team"),
    "organisatie": ("organisation", "organization", "org", "aanbieder", "provider"),
    "soort": ("type", "soort_team", "team_type", "teamsoort", "kind"),
    "lat": ("latitude", "breedtegraad", "lat_wgs84"),
    "lon": ("lng", "long", "longitude", "lengtegraad", "lon_wgs84"),
    "x": ("x_rd", "rd_x", "xcoord", "x_coord", "x_coordinaat", "rdx"),
    "y": ("y_rd", "rd_y", "ycoord", "y_coord", "y_coordinaat", "rdy"),
    "buurtcode": _BUURT,
    # An address: the postcode alone places a team at its PC4's centre; with the house number PDOK
    # can find the address itself (--geocode pdok).
    "postcode": (
        "zip",
        "zipcode",
        "zip_code",
        "postal_code",
        "postalcode",
        "post_code",
        "pc6",
        "pc4",
        "postcode_pc6",
        "bezoekpostcode",
    ),
    # DUO's 'HUISNUMMER-TOEVOEGING' is the number with its addition ('12-A'), as one cell.
    "huisnummer": ("house_number", "housenumber", "house_no", "huisnr", "huis_nr", "nr", "huisnummer_toevoeging"),
    "straat": ("straatnaam", "street", "street_name", "streetname", "straat_naam", "openbare_ruimte", "bezoekstraat"),
    "plaats": ("woonplaats", "plaatsnaam", "city", "town", "place", "locality", "vestigingsplaats", "bezoekplaats"),
    "capaciteit_fte": ("capaciteit", "fte", "capacity", "capacity_fte", "formatie", "formatie_fte"),
    "max_caseload": ("maximale_caseload", "caseload_max", "max_cases", "maximum_caseload", "max_clienten"),
}
PROVIDERS: dict[str, tuple[str, ...]] = {
    "wijkcode": _WIJK,
    "buurtcode": _BUURT,
    "aanbieder": ("provider", "zorgaanbieder", "consortium", "organisatie", "organisation", "organization"),
    # Names are welcome for the reader; the codes are what counts.
    "wijknaam": ("wijk_naam", "district_name"),
    "buurtnaam": ("buurt_naam", "neighbourhood_name", "neighborhood_name"),
}
CASELOADS: dict[str, tuple[str, ...]] = {
    "buurtcode": _BUURT,
    "wijkcode": _WIJK,
    "periode": ("period", "jaar", "year", "kwartaal", "quarter", "maand", "month", "peildatum"),
    "soort": ("type", "zorgsoort", "soort_zorg", "care_type", "zorgvorm"),
    "aantal": ("count", "n", "number", "aantal_jeugdigen", "jeugdigen", "children", "cases"),
    "buurtteam": ("buurtteams", "buurtteam_jeugd", "neighbourhood_team", "neighborhood_team"),
    "specialistisch": ("specialistische_jeugdhulp", "specialist", "specialistische_zorg", "specialised", "specialized"),
    "verblijf": ("jeugdhulp_met_verblijf", "residential", "verblijfszorg"),
    "jeugdbescherming": ("jb", "child_protection", "kinderbescherming"),
    "totaal": ("total", "totaal_jeugdigen", "jeugdigen_met_jeugdhulp", "all", "alle_zorg"),
    "wijknaam": ("wijk_naam", "district_name"),
    "buurtnaam": ("buurt_naam", "neighbourhood_name", "neighborhood_name"),
    # Optional: who brought the specialist care in (see REFERRAL_VALUES); rows without it are totals.
    "verwijzer": (
        "verwijzing",
        "verwijsroute",
        "verwijzende_partij",
        "verwezen_door",
        "route",
        "toegang",
        "referral",
        "referral_source",
        "referred_by",
        "referrer",
        "referral_route",
        "pathway",
    ),
}
# Where a team's point comes from (``locatie_bron``), most precise first, and how precise it is (Dutch, English).
LOCATION_SOURCES: dict[str, tuple[str, str]] = {
    "latlon": ("lat/lon zoals opgegeven", "lat/lon as given"),
    "rd": ("x/y (RD) zoals opgegeven", "x/y (RD) as given"),
    "adres (PDOK)": (
        "adrespunt uit de BAG via PDOK, op enkele meters",
        "BAG address point via PDOK, within a few metres",
    ),
    "postcode4": ("midden van het postcodegebied, ± 1–2 km", "centre of the postcode area, ± 1–2 km"),
    "buurtcode": ("representatief punt van de buurt, geen adres", "representative point of the buurt, not an address"),
}
ALIASES: dict[str, dict[str, tuple[str, ...]]] = {"teams": TEAMS, "providers": PROVIDERS, "caseloads": CASELOADS}

# Values: accepted spellings (compared with geodata.codes.name_key) → canonical value.
TEAM_SOORT_VALUES: dict[str, tuple[str, ...]] = {
    "buurtteam": (
        "buurtteam",
        "buurtteam jeugd en gezin",
        "buurtteam jeugd",
        "bt",
        "neighbourhood team",
        "neighborhood team",
    ),
    "specialistisch": (
        "specialistisch",
        "specialistisch team",
        "specialistische jeugdhulp",
        "specialist",
        "specialist team",
        "specialised",
        "specialized",
        "basecamp",
    ),
}
CASELOAD_SOORT_VALUES: dict[str, tuple[str, ...]] = {
    "buurtteam": TEAM_SOORT_VALUES["buurtteam"],
    "specialistisch": TEAM_SOORT_VALUES["specialistisch"],
    "verblijf": ("verblijf", "jeugdhulp met verblijf", "residential", "residential care"),
    "jeugdbescherming": ("jeugdbescherming", "jb", "child protection", "kinderbescherming"),
    "totaal": ("totaal", "total", "alle zorg", "all care", "alle", "all"),
}
# Count cells that say "hidden" rather than a number: the file was already protected.
SUPPRESSED_MARKERS = ("x", "geheim", "secret", "*", "•")
UNKNOWN_MARKERS = (".", "?", "onbekend", "unknown", "na", "n/a")
ZERO_MARKERS = ("-", "–", "—")  # CBS: nihil

# Referral routes: who brought a child into specialist care. Utrecht's model: the buurtteam,
# the huisarts or jeugdarts, or SAVE (jeugdbescherming) brings in a specialist from the neighbourhood.
REFERRALS = ("buurtteam", "huisarts", "jeugdarts", "save", "medisch_specialist", "overig")
# The care types a referral route applies to (children enter them through a referral); the buurtteam is
# itself the open door, jeugdbescherming is a court measure and totaal counts children, not routes.
REFERRAL_TYPES = ("specialistisch", "verblijf")
REFERRAL_VALUES: dict[str, tuple[str, ...]] = {
    "buurtteam": (
        "buurtteam",
        "buurtteams",
        "buurtteam jeugd en gezin",
        "buurtteam jeugd",
        "bt",
        "wijkteam",
        "sociaal wijkteam",
        "jeugdteam",
        "lokalis",
        "gemeente",
        "gemeentelijke toegang",
        "toegang",
        "neighbourhood team",
        "neighborhood team",
        "community team",
        "district team",
        "local team",
        "municipality",
        "municipal access",
    ),
    "huisarts": (
        "huisarts",
        "huisartsen",
        "huisartsenpraktijk",
        "ha",
        "poh",
        "poh ggz",
        "poh jggz",
        "praktijkondersteuner",
        "gp",
        "general practitioner",
        "family doctor",
        "family physician",
    ),
    "jeugdarts": (
        "jeugdarts",
        "jeugdartsen",
        "jgz",
        "jeugdgezondheidszorg",
        "jeugdverpleegkundige",
        "consultatiebureau",
        "ggd",
        "schoolarts",
        "youth doctor",
        "youth physician",
        "youth health care",
        "school doctor",
        "child health clinic",
    ),
    "save": (
        "save",
        "samen veilig",
        "samen veilig midden nederland",
        "svmn",
        "jeugdbescherming",
        "jeugdbescherming/save",
        "save jeugdbescherming",
        "gecertificeerde instelling",
        "gi",
        "jeugdreclassering",
        "kinderbescherming",
        "child protection",
        "youth protection",
        "certified institution",
    ),
    "medisch_specialist": (
        "medisch specialist",
        "medisch specialisten",
        "medische specialist",
        "kinderarts",
        "psychiater",
        "kinderpsychiater",
        "ziekenhuis",
        "medical specialist",
        "medical specialists",
        "paediatrician",
        "pediatrician",
        "psychiatrist",
        "hospital",
    ),
    "overig": (
        "overig",
        "overige",
        "anders",
        "andere",
        "onbekend",
        "geen",
        "geen verwijzer",
        "zelf",
        "zelfverwijzing",
        "eigen initiatief",
        "ouders",
        "school",
        "rechter",
        "officier van justitie",
        "overig/onbekend",
        "other",
        "others",
        "unknown",
        "none",
        "no referral",
        "self",
        "self referral",
        "parents",
        "court",
        "judge",
        "other/unknown",
    ),
}
