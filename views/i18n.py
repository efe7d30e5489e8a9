"""All user-facing labels in one table (Dutch first, English second); numbers are formatted by etl.numbers."""

from __future__ import annotations

from typing import Any

from etl.numbers import DEFAULT_LANG as DEFAULT_LANG
from etl.numbers import Lang as Lang
from etl.numbers import format_size as format_size
from etl.rules.columns import LOCATION_SOURCES, TEAM_SOORTEN
from geodata.network import MODE_NL

LABELS: dict[str, tuple[str, str]] = {
    # shell
    "app_title": ("Buurtdekking jeugdhulp Utrecht", "Youth-care coverage Utrecht"),
    "app_subtitle": ("Gemeente Utrecht · jeugd en gezin", "City of Utrecht · youth and family"),
    "skip_link": ("Naar de inhoud", "Skip to content"),
    "main_menu": ("Hoofdmenu", "Main menu"),
    "lang_toggle": ("English", "Nederlands"),
    "lang_toggle_label": ("Switch to English", "Schakel naar Nederlands"),
    "page_kaart": ("Kaart", "Map"),
    "page_tabel": ("Tabel", "Table"),
    "page_watals": ("Wat als?", "What if?"),
    "page_bronnen": ("Bronnen en methode", "Sources and method"),
    "page_eigen_gegevens": ("Eigen gegevens", "Your own data"),
    "page_not_found": ("Pagina niet gevonden", "Page not found"),
    "page_not_found_text": ("Deze pagina bestaat niet. Ga naar de kaart.", "This page does not exist. Go to the map."),
    "demo_banner": (
        "Demodata: teams en zorgaantallen in deze atlas zijn fictief, gemaakt om het dashboard te tonen.",
        "Demo data: teams and caseloads in this atlas are fictitious, generated to demonstrate the dashboard.",
    ),
    "link_problem": ("Probleem met de link", "Problem with the link"),
    "render_error": (
        "Een deel van deze pagina kon niet worden bijgewerkt. Laad de pagina opnieuw; gebeurt het weer, meld het dan aan de beheerder.",
        "Part of this page could not be updated. Reload the page; if it happens again, tell the administrator.",
    ),
    "source": (
        "Bron: CBS / Kadaster, Wijk- en buurtkaart en Kerncijfers wijken en buurten (CC BY 4.0).",
        "Source: CBS / Kadaster, district and neighbourhood map and key figures (CC BY 4.0).",
    ),
    "atlas_missing": (
        "Er is nog geen atlas. Bouw er een met 'make run' of 'buurtdekking build'.",
        "There is no atlas yet. Build one with 'make run' or 'buurtdekking build'.",
    ),
    # controls
    "map_title": ("Kaart", "Map"),
    "controls": ("Instellingen", "Settings"),
    "indicator": ("Indicator", "Indicator"),
    "period": ("Periode", "Period"),
    "mode": ("Vervoerswijze", "Mode of travel"),
    **{f"mode_{m}": (nl, m) for m, nl in MODE_NL.items()},
    "soort": ("Soort zorg", "Type of care"),
    "soort_totaal": ("alle zorg", "all care"),
    "soort_buurtteam": ("buurtteam", "buurtteam"),
    "soort_specialistisch": ("specialistisch", "specialist"),
    "soort_verblijf": ("verblijf", "residential"),
    "soort_jeugdbescherming": ("jeugdbescherming", "child protection"),
    "scheme": ("Klassenindeling", "Classification"),
    "scheme_quantiles": ("kwantielen", "quantiles"),
    "scheme_natural_breaks": ("natuurlijke grenzen (Fisher-Jenks)", "natural breaks (Fisher-Jenks)"),
    "scheme_equal_interval": ("gelijke intervallen", "equal intervals"),
    "classes": ("Aantal klassen", "Number of classes"),
    "level": ("Niveau", "Level"),
    "level_buurt": ("buurten", "neighbourhoods"),
    "level_wijk": ("wijken", "districts"),
    "level_gemeente": ("gemeenten", "municipalities"),
    "layers": ("Kaartlagen", "Map layers"),
    "layer_wijk_outline": ("wijkgrenzen en -namen", "district boundaries and names"),
    "not_applicable": ("niet van toepassing", "not applicable"),
    "dd_search": ("Zoeken", "Search"),
    "dd_clear_search": ("Zoekterm wissen", "Clear search"),
    "dd_clear_selection": ("Keuze wissen", "Clear selection"),
    "dd_no_options": ("Niets gevonden", "Nothing found"),
    "dd_select_all": ("Alles kiezen", "Select all"),
    "dd_deselect_all": ("Niets kiezen", "Deselect all"),
    "buurt_search": ("Zoek een buurt", "Find a neighbourhood"),
    "buurt_search_placeholder": ("Typ een buurtnaam of -code", "Type a neighbourhood name or code"),
    "lod_note": (
        "Ingezoomd tonen we {fine}; op deze schaal {coarse} ({n} in beeld). Zoom in voor meer detail.",
        "Zoomed in we show {fine}; at this scale {coarse} ({n} in view). Zoom in for more detail.",
    ),
    # legend
    "legend": ("Legenda", "Legend"),
    "no_data": ("geen gegevens", "no data"),
    # {threshold}: the protection threshold of the atlas being served (manifest care.threshold), see protection.py
    "suppressed_legend": (
        "beschermd: <{threshold}, of • om een <{threshold} te beschermen",
        "protected: <{threshold}, or • to protect a <{threshold}",
    ),
    "classes_by": ("{scheme}, {k} klassen", "{scheme}, {k} classes"),
    "categories_legend": ("categorieën", "categories"),
    "teams": ("Teams", "Teams"),
    "team_kind_buurtteam": ("buurtteam", "neighbourhood team"),
    "team_kind_specialistisch": ("specialistisch team", "specialist team"),
    "team_location": ("locatie: {v}", "location: {v}"),
    # where a team's point comes from and how precise it is (one text for the ETL's report and the app)
    **{f"location_source_{bron}": texts for bron, texts in LOCATION_SOURCES.items()},
    "teams_none": ("Deze atlas heeft nog geen teams.", "This atlas has no teams yet."),
    # units
    "buurt": ("Buurt", "Neighbourhood"),
    "wijk": ("Wijk", "District"),
    "gemeente": ("Gemeente", "Municipality"),
    "code": ("Code", "Code"),
    "code_buurt": ("Buurtcode", "Neighbourhood code"),
    "code_wijk": ("Wijkcode", "District code"),
    "code_gemeente": ("Gemeentecode", "Municipality code"),
    "name": ("Naam", "Name"),
    "value": ("Waarde", "Value"),
    "wijk_outline": ("Wijkgrens", "District boundary"),
    "map_alt": (
        "Kaart van de {level} van {gemeente}, gekleurd naar {indicator}. De tabel op de pagina Tabel geeft dezelfde waarden als tekst.",
        "Map of the {level} of {gemeente}, coloured by {indicator}. The Table page gives the same values as text.",
    ),
    # detail panel
    "detail_title": ("Buurtgegevens", "Neighbourhood details"),
    "detail_empty": (
        "Klik op een buurt in de kaart of kies er een in de lijst hierboven.",
        "Click a neighbourhood on the map or choose one in the list above.",
    ),
    "key_figures": ("Kerncijfers", "Key figures"),
    "inhabitants": ("Inwoners", "Inhabitants"),
    "youth": ("Jeugdigen 0–17 (schatting)", "Youth 0–17 (estimate)"),
    "provider": ("Aanbieder specialistische jeugdhulp", "Specialist youth-care provider"),
    "nearest_buurtteam": ("Dichtstbijzijnd buurtteam", "Nearest neighbourhood team"),
    "nearest_spec": ("Gecontracteerd specialistisch team", "Contracted specialist team"),
    "travel_times": ("Reistijden", "Travel times"),
    # how sure a travel figure is (etl.quality); the mark ⚠ flags a far snap wherever it is shown
    "quality_network": ("netwerk", "network"),
    "quality_far_snap": ("⚠ netwerk, ver aangesloten (> 500 m)", "⚠ network, far snap (> 500 m)"),
    "quality_estimate": ("schatting: hemelsbreed × omwegfactor", "estimate: straight line × detour factor"),
    "quality_unreachable": ("onbereikbaar via het netwerk", "unreachable on the network"),
    "quality_header": ("Betrouwbaarheid reistijd", "Travel-time quality"),
    "legend_estimate": (
        "Schatting: hemelsbreed × omwegfactor — voor deze vervoerswijze is geen stratennet gebruikt.",
        "Estimate: straight line × detour factor — no street network was used for this mode.",
    ),
    "legend_estimate_some": (
        "Schatting: hemelsbreed × omwegfactor voor {n} van de {total} gebieden.",
        "Estimate: straight line × detour factor for {n} of the {total} areas.",
    ),
    "legend_far_snap": (
        "⚠ ver aangesloten: {n} gebied(en) waar de buurt of het team meer dan 500 m van het stratennet ligt; die reistijd is onzekerder.",
        "⚠ far snap: {n} area(s) where the buurt or the team lies more than 500 m from the street network; that travel time is less sure.",
    ),
    "legend_unreachable": (
        "{n} gebied(en) onbereikbaar via het stratennet.",
        "{n} area(s) unreachable on the street network.",
    ),
    "sources_travel_quality": ("Reistijden: hoe zeker", "Travel times: how sure"),
    "sources_travel_methods": (
        "Methode per vervoerswijze: {methods}.",
        "Method per mode: {methods}.",
    ),
    "sources_travel_counts": (
        "{mode}, buurten per betrouwbaarheid — {counts}",
        "{mode}, buurten per quality — {counts}",
    ),
    "sources_travel_none": ("Geen opmerkingen bij de reistijden.", "No remarks on the travel times."),
    "team": ("Team", "Team"),
    "sources_far_snaps": (
        "{mode}: {n} buurt(en) en {teams} team(s) meer dan 500 m van het stratennet (afstand tot de aansluiting)",
        "{mode}: {n} buurt(en) and {teams} team(s) more than 500 m from the street network (distance to the snap point)",
    ),
    "method_network": ("stratennet", "street network"),
    "method_straight_line": ("hemelsbreed × omwegfactor", "straight line × detour factor"),
    "minutes": ("{v} min", "{v} min"),
    "trend": ("Verloop tussen perioden", "Trend between periods"),
    "trend_none": ("Deze indicator heeft één periode.", "This indicator has one period."),
    "comparison": ("Vergelijking", "Comparison"),
    "this_buurt": ("Deze buurt", "This neighbourhood"),
    "city": ("Stad", "City"),
    "close": ("Sluiten", "Close"),
    # referral routes in the detail panel
    "routes_title": ("Wie brengt specialistische zorg in? ({period})", "Who brings specialist care in? ({period})"),
    "routes_caption": (
        "Verwijzers van specialistische jeugdhulp in {buurt}, de wijk {wijk} en de stad, als aandeel. "
        "Via het buurtteam: {b_bt} (wijk {w_bt}, stad {g_bt}).",
        "Referral sources of specialist youth care in {buurt}, the district {wijk} and the city, as a share. "
        "Via the buurtteam: {b_bt} (district {w_bt}, city {g_bt}).",
    ),
    "routes_protected": (
        "Een balk zonder lengte met <{threshold} of • is beschermd (kleine aantallen).",
        "A bar without length marked <{threshold} or • is protected (small counts).",
    ),
    "routes_provider": ("Via het buurtteam bij aanbieder {provider}", "Via the buurtteam at provider {provider}"),
    "routes_route": ("Verwijzer", "Referral source"),
    "route_buurtteam": ("buurtteam", "buurtteam"),
    "route_huisarts": ("huisarts", "GP"),
    "route_jeugdarts": ("jeugdarts", "youth doctor"),
    "route_save": ("SAVE (jeugdbescherming)", "SAVE (child protection)"),
    "route_medisch_specialist": ("medisch specialist", "medical specialist"),
    "route_overig": ("overig/onbekend", "other/unknown"),
    # short route names for the chart's axis in the narrow side column
    "route_short_buurtteam": ("buurtteam", "buurtteam"),
    "route_short_huisarts": ("huisarts", "GP"),
    "route_short_jeugdarts": ("jeugdarts", "youth doctor"),
    "route_short_save": ("SAVE", "SAVE"),
    "route_short_medisch_specialist": ("med. specialist", "med. specialist"),
    "route_short_overig": ("overig", "other"),
    # table page
    "table_title": ("Tabel", "Table"),
    "table_intro": (
        "Dezelfde waarden als op de kaart, als tabel. Sorteer met de knoppen in de kolomkoppen.",
        "The same values as on the map, as a table. Sort with the buttons in the column headers.",
    ),
    "table_filter": ("Filter op naam, code of wijk", "Filter by name, code or district"),
    "table_caption": ("{indicator} per {level}, {n} rijen", "{indicator} per {level}, {n} rows"),
    "sort_by": ("Sorteer op {col}", "Sort by {col}"),
    "sorted_asc": ("oplopend gesorteerd", "sorted ascending"),
    "sorted_desc": ("aflopend gesorteerd", "sorted descending"),
    "download_csv": ("Download CSV", "Download CSV"),
    "download_csv_title": (
        "De hele tabel als CSV voor Nederlandse Excel (;), beschermd zoals getoond, met gebied, indicator en datum in de naam",
        "The whole table as CSV for Dutch Excel (;), protected as shown, with area, indicator and date in the name",
    ),
    "table_protected_note": (
        "Beschermde waarden (<{threshold}) en ontbrekende waarden staan bij sorteren altijd onderaan.",
        "Protected (<{threshold}) and missing values always sort last.",
    ),
    # what-if page
    "whatif_title": ("Wat als? Een team plaatsen, verplaatsen of weghalen", "What if? Place, move or remove a team"),
    "whatif_intro": (
        "Uw scenario geldt alleen voor u en verandert de gedeelde atlas niet. Het staat in de link, zodat u het kunt delen.",
        "Your scenario is yours only and never changes the shared atlas. It is in the link, so you can share it.",
    ),
    "whatif_atlas_teams": (
        "Het scenario gaat uit van de {n} teams in de gedeelde atlas.",
        "The scenario starts from the {n} teams in the shared atlas.",
    ),
    "whatif_own_teams": (
        "Het scenario gaat uit van uw eigen teams uit {name} ({n} teams), toegepast in deze sessie, niet van de "
        "teams in de gedeelde atlas. Alleen u ziet ze; verwijder ze op de pagina Eigen gegevens om weer van de atlas "
        "uit te gaan.",
        "The scenario starts from your own teams from {name} ({n} teams), applied in this session, not from the "
        "teams in the shared atlas. Only you see them; remove them on the page Your own data to start from the "
        "atlas again.",
    ),
    "whatif_unavailable": (
        "Deze atlas heeft nog geen reistijden of teams, dus een wat-als-berekening is niet mogelijk.",
        "This atlas has no travel times or teams yet, so a what-if is not possible.",
    ),
    "whatif_action": ("Wat wilt u doen?", "What do you want to do?"),
    "whatif_target": ("Reistijd naar", "Travel time to"),
    "whatif_default_name": ("Nieuw team", "New team"),
    "whatif_alt": (
        "Kaart van de verandering in reistijd per buurt; de tabel ernaast noemt de grootste winnaars en verliezers.",
        "Map of the change in travel time per neighbourhood; the table beside it lists the largest gainers and losers.",
    ),
    "whatif_add": ("team toevoegen", "add a team"),
    "whatif_move": ("team verplaatsen", "move a team"),
    "whatif_remove": ("team weghalen", "remove a team"),
    "whatif_team": ("Team", "Team"),
    "whatif_where": (
        "Waar? Klik op een buurt in de kaart, kies een buurt, of typ RD-coördinaten",
        "Where? Click a neighbourhood on the map, choose one, or type RD coordinates",
    ),
    "whatif_x": ("x (RD, meter)", "x (RD, metres)"),
    "whatif_y": ("y (RD, meter)", "y (RD, metres)"),
    "whatif_name": ("Naam nieuw team", "Name of the new team"),
    "whatif_org": ("Organisatie", "Organisation"),
    "whatif_kind": ("Soort team", "Kind of team"),
    "whatif_apply": ("Toepassen", "Apply"),
    "whatif_reset": ("Scenario wissen", "Clear scenario"),
    "whatif_steps": ("Uw scenario", "Your scenario"),
    "whatif_no_steps": (
        "Nog geen wijzigingen: de kaart toont de huidige situatie.",
        "No changes yet: the map shows the current situation.",
    ),
    "whatif_change": ("Verandering in reistijd naar {target} ({mode})", "Change in travel time to {target} ({mode})"),
    "whatif_gainers": ("Wie wint en wie verliest", "Gainers and losers"),
    "whatif_before": ("Nu", "Now"),
    "whatif_after": ("Scenario", "Scenario"),
    "whatif_delta": ("Verschil", "Change"),
    "whatif_faster": ("sneller", "faster"),
    "whatif_slower": ("langzamer", "slower"),
    "whatif_unchanged": ("gelijk", "unchanged"),
    "whatif_summary": (
        "{faster} buurten sneller, {slower} langzamer; gemiddeld {mean} min verschil per jeugdige.",
        "{faster} neighbourhoods faster, {slower} slower; on average {mean} min change per young person.",
    ),
    "whatif_need_location": ("Kies een buurt of geef x en y.", "Choose a neighbourhood or give x and y."),
    "whatif_need_team": ("Kies eerst een team.", "Choose a team first."),
    "whatif_bad_coord": (
        "x en y moeten getallen in RD New (meter) binnen de gemeente zijn, bijvoorbeeld x 136000, y 455900.",
        "x and y must be numbers in RD New (metres) inside the municipality, for example x 136000, y 455900.",
    ),
    "whatif_added": ("{name} toegevoegd in {where}", "{name} added in {where}"),
    "whatif_moved": ("{name} verplaatst naar {where}", "{name} moved to {where}"),
    "whatif_removed": ("{name} weggehaald", "{name} removed"),
    # own-data page (dashboard/pages/eigen_gegevens.py)
    "upload_title": ("Eigen gegevens toevoegen", "Add your own data"),
    "upload_intro": (
        "Bekijk een eigen tabel op de kaart: teams, aanbiedersgebieden of zorgaantallen (CSV of Excel). "
        "U ziet eerst de controle; alleen een foutloos bestand kunt u toepassen. Toegepaste gegevens zijn alleen "
        "voor u zichtbaar, in deze sessie, worden nooit in de gedeelde atlas opgeslagen en verdwijnen na {hours} uur.",
        "See your own table on the map: teams, provider areas or caseloads (CSV or Excel). You see the check "
        "first; only a file without errors can be applied. Applied data is visible to you only, in this session, "
        "is never stored in the shared atlas and disappears after {hours} hours.",
    ),
    "upload_kind": ("Soort gegevens", "Kind of data"),
    "upload_kind_teams": (
        "Teams (team_id, naam, organisatie, soort, locatie)",
        "Teams (team_id, naam, organisatie, soort, location)",
    ),
    "upload_kind_providers": (
        "Aanbiedersgebieden (wijkcode of buurtcode, aanbieder)",
        "Provider areas (wijkcode or buurtcode, aanbieder)",
    ),
    "upload_kind_caseloads": (
        "Zorgaantallen (buurtcode of wijkcode, periode, aantallen)",
        "Caseloads (buurtcode or wijkcode, periode, counts)",
    ),
    "upload_short_teams": ("teams", "teams"),
    "upload_short_providers": ("aanbiedersgebieden", "provider areas"),
    "upload_short_caseloads": ("zorgaantallen", "caseloads"),
    "upload_drop": ("Sleep een bestand hierheen of ", "Drop a file here or "),
    "upload_choose": ("kies een bestand", "choose a file"),
    "upload_limits": (
        "CSV (; , of tab; UTF-8, Windows-1252 of Unicode-tekst) of XLSX; hoogstens {mb}, {rows} rijen, {cols} kolommen, "
        "{cell} tekens per cel.",
        "CSV (; , or tab; UTF-8, Windows-1252 or Unicode text) or XLSX; at most {mb}, {rows} rows, {cols} columns, "
        "{cell} characters per cell.",
    ),
    "upload_report": ("Controle van {name}", "Check of {name}"),
    "upload_summary": (
        "{size} · {rows} rijen · {cols} kolommen · sha256 {sha}",
        "{size} · {rows} rows · {cols} columns · sha256 {sha}",
    ),
    "upload_summary_unread": (
        "{size} · niet als tabel te lezen ({codes}) · sha256 {sha}",
        "{size} · could not be read as a table ({codes}) · sha256 {sha}",
    ),
    "upload_ok": ("Geen fouten gevonden. U kunt het bestand toepassen.", "No errors found. You can apply the file."),
    "upload_bad": (
        "{n} probleem/problemen gevonden; het bestand kan niet worden toegepast. Pas het aan en probeer opnieuw.",
        "{n} problem(s) found; the file cannot be applied. Fix it and try again.",
    ),
    "upload_locations": ("Waar de teams staan", "Where the teams are"),
    "upload_location_count": ("{n} × {what}", "{n} × {what}"),
    "upload_locations_offline": (
        "Op deze pagina wordt een adres niet online opgezocht: een team met een postcode staat op het midden van die "
        "postcode. Met 'buurtdekking build --geocode pdok' komt het op zijn adres.",
        "This page never looks an address up online: a team with a postcode stands at the centre of that postcode. "
        "With 'buurtdekking build --geocode pdok' it goes to its address.",
    ),
    "upload_row": ("Rij", "Row"),
    "upload_column": ("Kolom", "Column"),
    "upload_code": ("Code", "Code"),
    "upload_message": ("Melding", "Message"),
    "upload_preview": ("Voorbeeld (eerste {n} rijen)", "Preview (first {n} rows)"),
    "upload_apply": ("Toepassen in mijn sessie", "Apply in my session"),
    "upload_applied_title": ("Toegepast in deze sessie", "Applied in this session"),
    "upload_applied_none": (
        "Nog niets: de kaart toont de gedeelde atlas.",
        "Nothing yet: the map shows the shared atlas.",
    ),
    "upload_applied_item": (
        "{kind}: {name} ({rows} rijen, toegepast {at})",
        "{kind}: {name} ({rows} rows, applied {at})",
    ),
    "upload_remove": ("Verwijderen", "Remove"),
    "upload_done": (
        "Toegepast: de kaart, de tabel en exports gebruiken nu uw {kind}.",
        "Applied: the map, the table and exports now use your {kind}.",
    ),
    "upload_done_teams": (
        "Toegepast: de kaart, de tabel, exports en de wat-als-pagina gebruiken nu uw teams.",
        "Applied: the map, the table, exports and the what-if page now use your teams.",
    ),
    "upload_removed": (
        "Verwijderd: de gedeelde atlas geldt weer voor {kind}.",
        "Removed: the shared atlas applies again for {kind}.",
    ),
    "upload_kept": (
        "Er is niets veranderd. Het eerder gecontroleerde bestand {name} ({kind}, {rows} rijen) staat nog klaar: "
        "‘Toepassen in mijn sessie’ past dat bestand toe.",
        "Nothing has changed. The file checked before, {name} ({kind}, {rows} rows), is still ready: "
        "‘Apply in my session’ applies that file.",
    ),
    "upload_unchanged": (
        "Er is niets veranderd aan wat u eerder hebt geladen of toegepast.",
        "Nothing you loaded or applied before has changed.",
    ),
    "upload_nothing": ("Er is geen gecontroleerd bestand om toe te passen.", "There is no checked file to apply."),
    "upload_decode": (
        "Het bestand kwam niet goed door; probeer het opnieuw.",
        "The file did not come through; try again.",
    ),
    "upload_too_large": (
        "{name} is {size}; het maximum is {limit}. Het bestand is niet geladen en er is niets veranderd. "
        "Splits het of laat ongebruikte kolommen weg.",
        "{name} is {size}; the maximum is {limit}. The file was not loaded and nothing has changed. "
        "Split it or leave out unused columns.",
    ),
    # export panel (dashboard/export_ui.py)
    "export_protected_hint": (
        "Kleine aantallen zijn beschermd (<{threshold}); demodata is als fictief gemarkeerd.",
        "Small counts are protected (<{threshold}); demo data is marked fictitious.",
    ),
    # sources page
    "sources_title": ("Bronnen en methode", "Sources and method"),
    "sources_cbs": (
        "Grenzen en kerncijfers: CBS / Kadaster, Wijk- en buurtkaart en Kerncijfers wijken en buurten {year}, "
        "licentie CC BY 4.0 (naamsvermelding: CBS / Kadaster).",
        "Boundaries and key figures: CBS / Kadaster, district and neighbourhood map and key figures {year}, "
        "licence CC BY 4.0 (attribution: CBS / Kadaster).",
    ),
    "sources_demo": (
        "Teams, aanbiedersgebieden en zorgaantallen zijn in de demo-atlas fictief: door het project gegenereerd "
        "(vast zaadgetal) op de echte buurtgrenzen. Er is geen echt adres of echte cliënt gebruikt.",
        "Teams, provider areas and caseloads are fictitious in the demo atlas: generated by the project "
        "(fixed seed) on the real boundaries. No real address or real client is used.",
    ),
    "sources_protection": (
        "Kleine aantallen (1–{below}) verlaten de server nooit: ze staan overal als <{threshold}, ook tarieven die ervan "
        "afgeleid zijn.",
        "Small counts (1–{below}) never leave the server: they show as <{threshold} everywhere, including rates derived "
        "from them.",
    ),
    "sources_methods": ("Methoden in deze atlas", "Methods in this atlas"),
    "sources_build": (
        "Atlas gebouwd op {created} in {seconds} s; CBS-jaar {year}.",
        "Atlas built on {created} in {seconds} s; CBS year {year}.",
    ),
    "sources_inputs": ("Invoerbestanden", "Input files"),
    "sources_unknown": ("(jaar onbekend)", "(year unknown)"),
    "sources_build_unknown": (
        "Bouwdatum en -duur van deze atlas staan niet in zijn manifest.",
        "The build date and duration of this atlas are not in its manifest.",
    ),
    "sources_indicators": ("Indicatoren", "Indicators"),
    "sources_classes": (
        "Klassen: kwantielen, natuurlijke grenzen (Fisher-Jenks) of gelijke intervallen, berekend met mapclassify op de "
        "getoonde (beschermde) waarden.",
        "Classes: quantiles, natural breaks (Fisher-Jenks) or equal intervals, computed with mapclassify on the shown "
        "(protected) values.",
    ),
    "sources_software": ("Software", "Software"),
    "sources_store": ("Atlassen in deze opslag", "Atlases in this store"),
    "sources_store_item": (
        "{name}: {gemeenten}, CBS-jaar {year}, gebouwd {created}",
        "{name}: {gemeenten}, CBS year {year}, built {created}",
    ),
    "sources_store_shown": (" (deze atlas)", " (this atlas)"),
    "yes": ("ja", "yes"),
    "no": ("nee", "no"),
}


def t(key: str, lang: Lang = DEFAULT_LANG, **fmt: object) -> str:
    """The label for ``key`` in ``lang``; placeholders filled from ``fmt``."""
    nl, en = LABELS[key]
    text = nl if lang == "nl" else en
    return text.format(**fmt) if fmt else text


def team_kind_label(kind: object, lang: Lang = DEFAULT_LANG) -> str:
    """'buurtteam' or 'specialistisch team' in ``lang``; a kind the app does not know, as the file spells it."""
    return t(f"team_kind_{kind}", lang) if kind in TEAM_SOORTEN else str(kind)


def has_label(key: str) -> bool:
    return key in LABELS


def aria(**attrs: str) -> dict[str, Any]:
    """aria-* attributes for Dash components: aria(label="Hoofdmenu") → {"aria-label": "Hoofdmenu"}."""
    return {f"aria-{k.replace('_', '-')}": v for k, v in attrs.items()}
