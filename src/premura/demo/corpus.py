"""The demo shop's words: Bottega Premura's desk, people, places, products and what customers write.

Plain data and a few pure helpers, without Django, so that both the demo loader
(premura.demo.loader) and the benchmark's bulk generator (benchmarks/_data.py) draw their names
and texts from here: one corpus, no second copy. Customer e-mail addresses use the reserved
example.com/.net/.org domains, so generated data can never write to a real person.
"""

import datetime
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

SHOP_NAME = "Bottega Premura"
# The shop's identity (premura.shop): the addresses are on the reserved .example domain.
DEMO_SHOP = {
    "name": SHOP_NAME,
    "support_email": "assistenza@bottega-premura.example",
    "website": "https://www.bottega-premura.example/",
    "time_zone": "Europe/Rome",
    "languages": ["it", "en"],
    "legal_footer": (
        "Bottega Premura S.r.l. · Via dei Mille 12, 40121 Bologna (BO)\n"
        "P.IVA e codice fiscale 12345678903 · REA BO-543210"
    ),
}
DEMO_PASSWORD = "premura-demo"
DEMO_SOURCE = "demo"  # Order.source of every demo order
DEMO_EMAIL_DOMAINS = ("example.com", "example.net", "example.org")

# --------------------------------------------------------------------------------------------
# The desk: teams, agents, carriers
# --------------------------------------------------------------------------------------------

TEAMS = [
    ("ordini-e-spedizioni", "Ordini e spedizioni"),
    ("resi-e-rimborsi", "Resi e rimborsi"),
    ("pagamenti", "Pagamenti"),
    ("prodotti", "Prodotti"),
    ("account", "Account"),
]

# The desk's opening hours (issue 12): customer care works from Milan, Monday to Friday 9–13 and
# 14–18 and Saturday 9–13, closed on Italian public holidays, on Sant'Ambrogio (7 December) and
# from 27 to 31 December 2026.
_MORNING = (datetime.time(9), datetime.time(13))
_AFTERNOON = (datetime.time(14), datetime.time(18))
DEMO_CALENDAR = {
    "name": "Assistenza clienti, Milano",
    "time_zone": "Europe/Rome",
    "patron_saint_city": "MI",
    "weekly_hours": {**{weekday: [_MORNING, _AFTERNOON] for weekday in range(5)}, 5: [_MORNING]},
}
DEMO_CLOSURES = [(datetime.date(2026, 12, 27), datetime.date(2026, 12, 31), "Chiusura di fine anno")]
# The desk's promises, tried in this order (first match wins), in business minutes: e-mail and web
# form answered within 8 business hours, urgent cases within 1, VIP customers in half of each.
# The next response has the first one's target; resolution is a week of the desk (40 business
# hours) and an urgent case's a working day (8), VIP half of each.
_WRITTEN = ["email", "web_form"]


def _policy(name: str, first: int, resolution: int, **rule: list[str]) -> dict[str, Any]:
    return {
        "name": name,
        "channels": _WRITTEN,
        **rule,
        "first_response_minutes": first,
        "next_response_minutes": first,
        "resolution_minutes": resolution,
    }


DEMO_POLICIES = [
    _policy("Urgenti VIP", 30, 240, priorities=["urgent"], tiers=["vip"]),
    _policy("Urgenti", 60, 480, priorities=["urgent"]),
    _policy("Clienti VIP", 240, 1200, tiers=["vip"]),
    _policy("E-mail e modulo web", 480, 2400),
]

# The shop's resolution policies (issue 15; care.resolution): a parcel reported lost is resolved
# on the spot for a customer the shop trusts (50 of 100) on orders up to 150 euros, their choice of
# sending it again or a refund, and below 60 euros a parcel that turns up later is theirs to keep;
# anyone else waits for a decision within 3 business days. A damaged item needs a photo first.
# Before shipment a cancellation is done at once; after it the customer gets the return steps.
DEMO_RESOLUTION_POLICIES = {
    "lost_parcel": {
        "min_trust_score": 50,
        "max_order_total": Decimal("150"),
        "keep_if_found_below": Decimal("60"),
        "review_business_days": 3,
    },
    "damaged": {"min_trust_score": 40, "max_order_total": Decimal("150"), "require_photo": True},
    "cancel_unshipped": {},
    "cancel_shipped": {
        "return_instructions": (
            "Stampa l'etichetta di reso dalla pagina del tuo ordine, chiudi il pacco e consegnalo in "
            "un punto BRT entro 14 giorni: il reso è gratuito."
        ),
    },
}

# The shop's compensation table (issue 14), tried in this order, first match wins: a lost or
# returned parcel is for an agent to resolve (re-ship or refund); a delivery a week late on an
# order from 200 euros earns a 10 euro partial refund an agent approves; three days late, 10% off the
# delayed item's category; any late delivery, free shipping on the next order; a delay announced
# on an order from 100 euros, a 5 euro coupon.
DEMO_COMPENSATION = [
    {"name": "Pacco smarrito: decide un operatore", "situation": "lost", "compensation": "nothing"},
    {"name": "Reso al mittente: decide un operatore", "situation": "returned", "compensation": "nothing"},
    {
        "name": "Una settimana di ritardo, ordini da 200 euro: rimborso di 10 euro",
        "situation": "delivered_late",
        "min_delay_days": 7,
        "min_order_total": Decimal("200"),
        "compensation": "partial_refund",
        "value": Decimal("10"),
    },
    {
        "name": "Tre giorni di ritardo: 10% sulla stessa categoria",
        "situation": "delivered_late",
        "min_delay_days": 3,
        "compensation": "coupon_percent",
        "value": Decimal("10"),
        "same_category": True,
        "valid_days": 60,
    },
    {
        "name": "Consegna in ritardo: spedizione gratuita",
        "situation": "delivered_late",
        "compensation": "free_shipping",
    },
    {
        "name": "Ritardo annunciato, ordini da 100 euro: buono di 5 euro",
        "min_order_total": Decimal("100"),
        "compensation": "coupon_amount",
        "value": Decimal("5"),
    },
]


@dataclass(frozen=True)
class DemoAgent:
    username: str
    first_name: str
    last_name: str
    team: str  # team slug
    is_admin: bool = False
    # The team's lead, told when one of its cases misses a deadline (else the administrators are).
    leads_team: bool = False

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


DEMO_AGENTS = [
    DemoAgent("admin", "Giulia", "Bianchi", "account", is_admin=True),
    DemoAgent("marco", "Marco", "Rossi", "ordini-e-spedizioni"),
    DemoAgent("sara", "Sara", "Colombo", "ordini-e-spedizioni", leads_team=True),
    DemoAgent("luca", "Luca", "Ferrari", "resi-e-rimborsi", leads_team=True),
    DemoAgent("chiara", "Chiara", "Esposito", "resi-e-rimborsi"),
    DemoAgent("paolo", "Paolo", "Ricci", "pagamenti", leads_team=True),
    DemoAgent("elena", "Elena", "Romano", "prodotti", leads_team=True),
    DemoAgent("davide", "Davide", "Greco", "account", leads_team=True),
]
DEMO_USERNAMES = [a.username for a in DEMO_AGENTS]

CARRIERS = [
    (
        "brt",
        "BRT",
        "https://vas.brt.it/vas/sped_det_show.hsm?referer=sped_numspe_par.htm&Nspediz={tracking_number}",
    ),
    ("gls", "GLS", "https://gls-group.com/IT/it/servizi-online/ricerca-spedizioni?match={tracking_number}"),
    (
        "poste",
        "Poste Italiane",
        "https://www.poste.it/cerca/index.html#/risultati-spedizioni/{tracking_number}",
    ),
    (
        "sda",
        "SDA",
        "https://www.sda.it/wps/portal/Servizi_online/dettaglio-spedizione?tracing.letteraVettura={tracking_number}",
    ),
    (
        "dhl",
        "DHL",
        "https://www.dhl.com/it-it/home/tracking/tracking-express.html?tracking-id={tracking_number}",
    ),
]
CARRIER_WEIGHTS = {"brt": 35, "gls": 20, "poste": 20, "sda": 15, "dhl": 10}
# How each carrier's tracking numbers look: a prefix and that many digits.
TRACKING_NUMBER_FORMATS = {
    "brt": ("", 14),
    "gls": ("IT", 10),
    "poste": ("3UW", 10),
    "sda": ("", 13),
    "dhl": ("", 10),
}


# Raw carrier codes and Italian descriptions for each step of a parcel's journey.
RAW_EVENTS: dict[str, dict[str, list[tuple[str, str]]]] = {
    "brt": {
        "pending": [("NON DISPONIBILE", "Informazioni sulla spedizione non ancora disponibili")],
        "label": [("DATI RICEVUTI", "Dati della spedizione ricevuti dal mittente")],
        "pickup": [("PRESA IN CARICO", "Spedizione presa in carico")],
        "depart": [("PARTITA", "Spedizione partita dalla filiale di origine")],
        "hub": [("IN TRANSITO", "Spedizione in transito presso l'hub")],
        "arrived": [("ARRIVATA IN FILIALE", "Spedizione arrivata nella filiale di destinazione")],
        "ofd": [("IN CONSEGNA", "Spedizione in consegna")],
        "delivered": [("CONSEGNATA", "Spedizione consegnata")],
        "attempt_fail": [("MANCATA CONSEGNA", "Mancata consegna per destinatario assente: lasciato avviso")],
        "pickup_point": [
            ("IN GIACENZA FERMOPOINT", "Spedizione disponibile per il ritiro presso il BRT-fermopoint")
        ],
        "exception": [
            ("DANNEGGIATA", "Collo danneggiato durante il trasporto: in verifica"),
            ("INDIRIZZO ERRATO", "Indirizzo incompleto o errato: in attesa di istruzioni dal mittente"),
        ],
        "expired": [("NESSUN AGGIORNAMENTO", "Nessun aggiornamento dal corriere negli ultimi 30 giorni")],
    },
    "gls": {
        "pending": [("NOTAVAILABLE", "Dati della spedizione non ancora disponibili")],
        "label": [("PREADVICE", "Spedizione registrata dal mittente")],
        "pickup": [("INPICKUP", "Spedizione ritirata presso il mittente")],
        "depart": [("INTRANSIT", "Spedizione partita dalla sede GLS")],
        "hub": [("INWAREHOUSE", "Spedizione arrivata al centro di smistamento")],
        "arrived": [("INTRANSIT", "Spedizione arrivata alla sede GLS di destinazione")],
        "ofd": [("INDELIVERY", "Spedizione in consegna")],
        "delivered": [("DELIVERED", "Spedizione consegnata")],
        "attempt_fail": [("NOTDELIVERED", "Spedizione non consegnata: destinatario assente")],
        "pickup_point": [("DELIVEREDPS", "Spedizione disponibile al ritiro presso il GLS ParcelShop")],
        "exception": [
            ("DANNEGGIATA", "Collo danneggiato durante il trasporto"),
            ("INDIRIZZO ERRATO", "Indirizzo errato o incompleto"),
        ],
        "expired": [("EXPIRED", "Tracciamento scaduto: nessun aggiornamento da 30 giorni")],
    },
    "poste": {
        "pending": [("NON DISPONIBILE", "Spedizione non ancora presente nei sistemi di Poste Italiane")],
        "label": [("DATI RICEVUTI", "Spedizione in arrivo: dati ricevuti")],
        "pickup": [("ACCETTATO", "Spedizione accettata")],
        "depart": [("IN LAVORAZIONE", "In lavorazione presso il Centro Operativo")],
        "hub": [("IN TRANSITO", "In transito presso il Centro di Smistamento")],
        "arrived": [("IN LAVORAZIONE", "In lavorazione presso il Centro di Distribuzione")],
        "ofd": [("IN CONSEGNA", "In consegna")],
        "delivered": [("CONSEGNATO", "Consegnato")],
        "attempt_fail": [("MANCATA CONSEGNA", "Destinatario assente: avviso di giacenza lasciato")],
        "pickup_point": [("IN GIACENZA", "Disponibile per il ritiro presso l'Ufficio Postale")],
        "exception": [
            ("IN RESTITUZIONE", "In restituzione al mittente: indirizzo insufficiente"),
            ("INDIRIZZO INESATTO", "Indirizzo inesatto o incompleto: in attesa di verifica"),
        ],
        "expired": [("SCADUTO", "Nessun aggiornamento da oltre 30 giorni")],
    },
    "sda": {
        "pending": [("ATTESA DATI", "In attesa dei dati della spedizione")],
        "label": [("REGISTRATA", "Spedizione registrata: in attesa di ritiro")],
        "pickup": [("RITIRATA", "Spedizione ritirata presso il mittente")],
        "depart": [("PARTITA", "Partita dalla filiale di origine")],
        "hub": [("IN TRANSITO", "In transito presso l'hub")],
        "arrived": [("ARRIVATA", "Arrivata alla filiale di destinazione")],
        "ofd": [("IN CONSEGNA", "Affidata al corriere per la consegna")],
        "delivered": [("CONSEGNATA", "Consegnata al destinatario")],
        "attempt_fail": [("MANCATO RECAPITO", "Mancato recapito: destinatario assente")],
        "pickup_point": [("IN GIACENZA", "In giacenza presso il Punto Poste")],
        "exception": [
            ("INDIRIZZO INESATTO", "Spedizione ferma in filiale: indirizzo da verificare"),
            ("RIFIUTATO", "Spedizione rifiutata dal destinatario"),
        ],
        "expired": [("SCADUTA", "Tracciamento scaduto")],
    },
    "dhl": {
        "pending": [("NI", "Nessuna informazione disponibile")],
        "label": [("SA", "Dati della spedizione ricevuti")],
        "pickup": [("PU", "Spedizione ritirata")],
        "depart": [("DF", "Partita dal centro DHL")],
        "hub": [("AF", "Arrivata al centro DHL")],
        "arrived": [("AR", "Arrivata al centro di consegna")],
        "ofd": [("WC", "In consegna con il corriere")],
        "delivered": [("OK", "Consegnata")],
        "attempt_fail": [("NH", "Destinatario assente: tentativo di consegna non riuscito")],
        "pickup_point": [("CC", "In attesa di ritiro presso il DHL Service Point")],
        "exception": [
            ("BA", "Indirizzo errato: contattare il mittente"),
            ("HP", "Spedizione trattenuta: in verifica"),
        ],
        "expired": [("EX", "Tracciamento scaduto")],
    },
}

# Where each step happens: {city} is the destination city.
CARRIER_PLACES: dict[str, dict[str, Any]] = {
    "brt": {
        "origin": "Filiale BRT Bologna",
        "hubs": ["Hub BRT Bologna", "Hub BRT Verona", "Hub BRT Milano Pero", "Hub BRT Roma"],
        "local": "Filiale BRT {city}",
        "point": "BRT-fermopoint {city}",
    },
    "gls": {
        "origin": "Sede GLS Bologna",
        "hubs": ["GLS Hub Piacenza", "GLS Hub Bologna", "GLS Hub Fiano Romano"],
        "local": "Sede GLS {city}",
        "point": "GLS ParcelShop {city}",
    },
    "poste": {
        "origin": "Centro Operativo Postale Bologna",
        "hubs": [
            "Centro di Smistamento Bologna",
            "Centro di Smistamento Milano Peschiera Borromeo",
            "Centro di Smistamento Roma Fiumicino",
        ],
        "local": "Centro di Distribuzione {city}",
        "point": "Ufficio Postale {city} Centro",
    },
    "sda": {
        "origin": "Filiale SDA Bologna",
        "hubs": ["Hub SDA Carpiano", "Hub SDA Bologna Interporto", "Hub SDA Roma"],
        "local": "Filiale SDA {city}",
        "point": "Punto Poste {city}",
    },
    "dhl": {
        "origin": "DHL Service Center Bologna",
        "hubs": ["DHL Hub Milano Malpensa", "DHL Hub Bergamo", "DHL Hub Leipzig"],
        "local": "DHL Service Center {city}",
        "point": "DHL Service Point {city}",
    },
}

# --------------------------------------------------------------------------------------------
# People and places
# --------------------------------------------------------------------------------------------


def _items(text: str) -> list[str]:
    """A comma-separated list written over several lines."""
    return [" ".join(item.split()) for item in text.split(",")]


ITALIAN_FEMALE = _items("""Giulia, Francesca, Chiara, Sara, Martina, Valentina, Alessia, Elena, Federica,
Silvia, Laura, Anna, Paola, Elisa, Roberta, Simona, Alice, Beatrice, Giorgia, Ilaria, Marta, Serena,
Veronica, Camilla, Aurora, Sofia, Noemi, Daniela, Cristina, Lucia""")
ITALIAN_MALE = _items("""Marco, Luca, Andrea, Francesco, Alessandro, Matteo, Lorenzo, Davide, Simone,
Federico, Giuseppe, Antonio, Giovanni, Stefano, Paolo, Roberto, Riccardo, Tommaso, Gabriele, Nicola,
Emanuele, Fabio, Massimo, Pietro, Michele, Salvatore, Claudio, Daniele, Filippo, Vincenzo""")
ITALIAN_SURNAMES = _items("""Rossi, Russo, Ferrari, Esposito, Bianchi, Romano, Colombo, Ricci, Marino,
Greco, Bruno, Gallo, Conti, De Luca, Mancini, Costa, Giordano, Rizzo, Lombardi, Moretti, Barbieri,
Fontana, Santoro, Mariani, Rinaldi, Caruso, Ferrara, Galli, Martini, Leone, Longo, Gentile, Martinelli,
Vitale, Lombardo, Serra, Coppola, De Santis, D'Angelo, Marchetti, Parisi, Villa, Conte, Ferraro, Ferri,
Fabbri, Bianco, Marini, Grasso, Valentini, Messina, Sala, De Angelis, Gatti, Pellegrini, Palumbo, Sanna,
Farina, Rizzi, Monti""")
ENGLISH_FEMALE = _items("""Emma, Olivia, Sophie, Charlotte, Amelia, Emily, Grace, Lucy, Hannah, Chloe,
Jessica, Rebecca, Sarah, Laura, Rachel, Katie, Ellie, Megan, Alice, Isabel""")
ENGLISH_MALE = _items("""James, Oliver, Thomas, William, Harry, George, Jack, Daniel, Samuel, Benjamin,
Matthew, Joseph, David, Michael, Edward, Henry, Charlie, Alexander, Ryan, Andrew""")
ENGLISH_SURNAMES = _items("""Smith, Jones, Taylor, Brown, Williams, Wilson, Johnson, Davies, Robinson,
Wright, Thompson, Evans, Walker, White, Roberts, Green, Hall, Wood, Jackson, Clarke, Hughes, Edwards,
Turner, Harris, Cooper, Ward, Morris, King, Baker, Carter, Mitchell, Bennett, Murphy, O'Brien, Kelly,
Campbell, Stewart, Reid, Walsh, Fletcher""")

# City, province code, postcodes (CAP) in that city.
ITALIAN_CITIES = [
    (city, province, postcodes.split())
    for city, province, postcodes in (
        line.split("|")
        for line in """Milano|MI|20121 20122 20135 20144 20154
Roma|RM|00184 00153 00198 00162 00136
Napoli|NA|80132 80121 80129
Torino|TO|10121 10128 10138
Bologna|BO|40121 40126 40137
Firenze|FI|50122 50134 50144
Genova|GE|16121 16128
Venezia|VE|30121 30171
Verona|VR|37121 37138
Padova|PD|35121 35139
Bari|BA|70121 70126
Palermo|PA|90133 90141
Catania|CT|95121 95129
Cagliari|CA|09124 09127
Trieste|TS|34121 34133
Brescia|BS|25121 25128
Bergamo|BG|24121 24128
Parma|PR|43121 43125
Modena|MO|41121 41124
Perugia|PG|06121 06124
Pisa|PI|56125 56127
Lecce|LE|73100
Trento|TN|38122 38121
Bolzano|BZ|39100
Ancona|AN|60121 60123
Pescara|PE|65121 65124
Salerno|SA|84121 84127
Como|CO|22100
Monza|MB|20900
Reggio Emilia|RE|42121 42123
Livorno|LI|57123 57125
Udine|UD|33100
Siena|SI|53100
Lucca|LU|55100
Ravenna|RA|48121
Rimini|RN|47921 47923
Sassari|SS|07100
Messina|ME|98122 98123
Novara|NO|28100
Vicenza|VI|36100""".splitlines()
    )
]
ITALIAN_STREETS = _items("""Via Roma, Via Giuseppe Garibaldi, Corso Vittorio Emanuele II, Via Cavour,
Via Giacomo Matteotti, Via XX Settembre, Via Alessandro Manzoni, Via Dante Alighieri, Via Giuseppe Verdi,
Via Giuseppe Mazzini, Viale della Repubblica, Via dei Mille, Via Antonio Gramsci, Corso Italia,
Via San Francesco, Piazza della Libertà, Via Nazionale, Via del Lavoro, Via delle Rose, Via Aldo Moro,
Viale Europa, Via Santa Caterina, Via dei Tigli, Via Marconi""")
# City, postcode.
UK_CITIES = [
    tuple(item.split("|"))
    for item in _items("""London|N1 9GU, London|SE1 7PB, London|SW11 4NP, London|E2 8AA, Manchester|M1 1AE,
Edinburgh|EH1 1YZ, Bristol|BS1 4DJ, Leeds|LS1 4DY, Brighton|BN1 1AE, Oxford|OX1 2JD, Cambridge|CB2 1TN,
York|YO1 7HH, Bath|BA1 1LZ""")
]
UK_STREETS = _items("""High Street, Station Road, Church Lane, Victoria Road, Green Lane, Manor Road,
Park Avenue, Queen Street, Kings Road, Mill Lane, Albert Street, Orchard Close""")
CUSTOMER_NOTES = [
    "Preferisce la consegna al mattino.",
    "Ha già ricevuto due pacchi danneggiati: chiedere imballo rinforzato al magazzino.",
    "Cliente storico, molto gentile.",
    "Il citofono riporta il cognome del marito.",
    "Chiede sempre la fattura.",
]

# (SKU, name, category, price)
PRODUCTS = [
    ("CUC-001", "Moka Bialetti 6 tazze", "Cucina", "34.90"),
    ("CUC-002", "Set 3 padelle antiaderenti", "Cucina", "59.90"),
    ("CUC-003", "Tagliere in legno d'ulivo", "Cucina", "29.50"),
    ("CUC-004", "Macinacaffè manuale", "Cucina", "44.00"),
    ("CUC-005", "Set 6 bicchieri in vetro soffiato", "Cucina", "38.00"),
    ("CUC-006", "Pentola in ghisa 24 cm", "Cucina", "89.00"),
    ("CAS-001", "Set asciugamani in lino", "Casa", "49.90"),
    ("CAS-002", "Lenzuola matrimoniali in percalle", "Casa", "79.00"),
    ("CAS-003", "Plaid in lana merino", "Casa", "69.00"),
    ("CAS-004", "Lampada da tavolo in ottone", "Casa", "119.00"),
    ("CAS-005", "Candela profumata al fico", "Casa", "19.90"),
    ("CAS-006", "Cuscino in velluto", "Casa", "27.00"),
    ("ELE-001", "Cuffie Bluetooth con cancellazione del rumore", "Elettronica", "129.00"),
    ("ELE-002", "Altoparlante portatile impermeabile", "Elettronica", "59.00"),
    ("ELE-003", "Power bank 20000 mAh", "Elettronica", "34.99"),
    ("ELE-004", "Caricatore wireless 15W", "Elettronica", "24.90"),
    ("ELE-005", "Smartwatch sportivo", "Elettronica", "149.00"),
    ("ELE-006", "Lampadine smart Wi-Fi (2 pezzi)", "Elettronica", "22.90"),
    ("OUT-001", "Zaino da trekking 30L", "Outdoor", "74.90"),
    ("OUT-002", "Borraccia termica 750 ml", "Outdoor", "21.90"),
    ("OUT-003", "Bastoncini da trekking in carbonio", "Outdoor", "64.00"),
    ("OUT-004", "Tenda da campeggio 2 posti", "Outdoor", "139.00"),
    ("OUT-005", "Lampada frontale ricaricabile", "Outdoor", "29.90"),
    ("ABB-001", "Felpa in cotone biologico, taglia M", "Abbigliamento", "54.00"),
    ("ABB-002", "Scarpe da trail running, taglia 42", "Abbigliamento", "99.00"),
    ("ABB-003", "Giacca impermeabile leggera, taglia L", "Abbigliamento", "89.00"),
    ("ABB-004", "Maglione in cashmere, taglia S", "Abbigliamento", "129.00"),
    ("ABB-005", "Calzini in lana merino (3 paia)", "Abbigliamento", "19.50"),
    ("DIS-001", "Olio extravergine d'oliva toscano 750 ml", "Dispensa", "18.50"),
    ("DIS-002", "Caffè in grani 1 kg", "Dispensa", "24.00"),
    ("BEN-001", "Tappetino yoga in sughero", "Benessere", "49.00"),
    ("BEN-002", "Set saponi artigianali", "Benessere", "16.90"),
]
CLOTHING_CATEGORY = "Abbigliamento"

# --------------------------------------------------------------------------------------------
# Case topics: what customers write about, in Italian and English
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Topic:
    key: str
    team: str  # team slug
    weight: int
    waits_on: str  # the waiting status (a case status) the case takes while someone else acts
    needs_order: bool
    it: dict[str, list[str]]
    en: dict[str, list[str]]
    notes: list[str]  # internal notes, always in Italian


TOPICS = [
    Topic(
        "parcel_late",
        "ordini-e-spedizioni",
        20,
        "waiting_on_carrier",
        True,
        it={
            "subject": [
                "Dov'è il mio pacco? Ordine {number}",
                "Ordine {number} non ancora arrivato",
                "Ritardo nella consegna dell'ordine {number}",
            ],
            "open": [
                "Ho fatto l'ordine {number} il {placed} e la consegna era prevista entro il {promised}, ma "
                "il pacco non è ancora arrivato. Il tracking {carrier} ({tracking}) non si aggiorna da "
                "giorni. Potete verificare?",
                "Il mio ordine {number} doveva arrivare entro il {promised}. Sul sito di {carrier} risulta "
                "ancora in viaggio. Mi serve entro il fine settimana: mi sapete dire qualcosa?",
            ],
            "ask": [
                "Per la verifica con il corriere, ci conferma che l'indirizzo di consegna ({street}, "
                "{postcode} {city}) è corretto e che il suo nome è sul citofono?"
            ],
            "answer": [
                "Sì, l'indirizzo è giusto e il nome è sul citofono. Di giorno in casa c'è quasi sempre "
                "qualcuno."
            ],
            "hold": [
                "Abbiamo aperto una segnalazione con {carrier} per la spedizione {tracking}. Di solito "
                "rispondono entro 48 ore lavorative: la aggiorniamo appena abbiamo notizie."
            ],
            "solution": [
                "{carrier} ci ha confermato che il pacco era fermo in deposito per un errore di "
                "smistamento: è ripartito e le arriverà entro un paio di giorni lavorativi. Può "
                "seguirlo qui: {tracking_url}\nPer scusarci del ritardo le abbiamo inviato un codice "
                "sconto del 10% sul prossimo ordine."
            ],
        },
        en={
            "subject": [
                "Where is my parcel? Order {number}",
                "Order {number} has not arrived",
                "Late delivery for order {number}",
            ],
            "open": [
                "I placed order {number} on {placed} and it was due by {promised}, but it still hasn't "
                "arrived. The {carrier} tracking ({tracking}) hasn't moved for days. Could you look into it?",
                "My order {number} was supposed to arrive by {promised}. The {carrier} website still shows "
                "it in transit. I need it by the weekend, can you tell me what's going on?",
            ],
            "ask": [
                "So we can check with the carrier, could you confirm that the delivery address ({street}, "
                "{postcode} {city}) is correct and that your name is on the doorbell?"
            ],
            "answer": [
                "Yes, the address is right and my name is on the bell. Someone is usually at home "
                "during the day."
            ],
            "hold": [
                "We have opened an enquiry with {carrier} about shipment {tracking}. They usually reply "
                "within two working days, and we'll update you as soon as we hear back."
            ],
            "solution": [
                "{carrier} confirmed the parcel was held at a depot after a sorting error. It is on "
                "its way again and should reach you within a couple of working days. You can follow "
                "it here: {tracking_url}\nTo apologise for the delay we've sent you a 10% discount "
                "code for your next order."
            ],
        },
        notes=[
            "Aperto reclamo sul portale {carrier}, rif. {ticket}.",
            "{carrier} dice che il collo è fermo in hub per etichetta illeggibile. Ricontrollare tra 2 "
            "giorni.",
            "Cliente che ha già scritto più volte: trattare con priorità.",
        ],
    ),
    Topic(
        "delivery_failed",
        "ordini-e-spedizioni",
        7,
        "waiting_on_carrier",
        True,
        it={
            "subject": ["Corriere passato ma non ero in casa", "Mancata consegna ordine {number}"],
            "open": [
                "Ho visto che {carrier} ha provato a consegnare l'ordine {number} ma ero al lavoro. Come "
                "posso ricevere il pacco? Posso ritirarlo io da qualche parte?"
            ],
            "ask": [
                "Possiamo chiedere a {carrier} una nuova consegna. Ci indica un giorno e una fascia oraria "
                "in cui è sicuramente in casa, oppure preferisce ritirarlo in un punto di ritiro vicino?"
            ],
            "answer": ["Preferisco una nuova consegna giovedì mattina, grazie."],
            "hold": [
                "Abbiamo chiesto a {carrier} di riprogrammare la consegna: il corriere la contatterà per "
                "concordare l'orario."
            ],
            "solution": [
                "La nuova consegna è programmata per il prossimo giorno lavorativo. In alternativa il "
                "pacco resta in giacenza presso il punto di ritiro {carrier} di {city} per 10 giorni."
            ],
        },
        en={
            "subject": ["Courier came while I was out", "Missed delivery for order {number}"],
            "open": [
                "I saw that {carrier} tried to deliver order {number} while I was at work. How can I get "
                "the parcel? Can I collect it somewhere?"
            ],
            "ask": [
                "We can ask {carrier} to deliver again. Which day and time are you sure to be at home, or "
                "would you rather collect it from a pickup point near you?"
            ],
            "answer": ["A new delivery on Thursday morning would be best, thanks."],
            "hold": [
                "We've asked {carrier} to reschedule the delivery; the courier will contact you to agree "
                "on a time."
            ],
            "solution": [
                "The new delivery is booked for the next working day. Otherwise the parcel stays at "
                "the {carrier} pickup point in {city} for 10 days."
            ],
        },
        notes=["Richiesta riconsegna inviata a {carrier} dal portale."],
    ),
    Topic(
        "not_received",
        "ordini-e-spedizioni",
        5,
        "waiting_on_carrier",
        True,
        it={
            "subject": ["Risulta consegnato ma non l'ho ricevuto", "Ordine {number} mai arrivato"],
            "open": [
                "Sul tracking l'ordine {number} risulta consegnato, ma io non ho ricevuto nulla e nessun "
                "vicino l'ha ritirato. Cosa posso fare?"
            ],
            "ask": [
                "Ci dispiace molto. Può chiedere in portineria o ai vicini e controllare se nella cassetta "
                "ha trovato un avviso? Nel frattempo chiediamo a {carrier} la prova di consegna."
            ],
            "answer": ["Ho chiesto a tutti i vicini, niente. Nessun avviso nella cassetta."],
            "hold": [
                "Abbiamo chiesto a {carrier} la prova di consegna con firma e posizione GPS: le scriviamo "
                "appena la riceviamo."
            ],
            "solution": [
                "Il corriere non ha fornito una prova di consegna valida, quindi le abbiamo rispedito "
                "l'ordine a nostre spese. Riceverà a breve la mail con il nuovo tracking."
            ],
        },
        en={
            "subject": ["Tracking says delivered but I never got it", "Order {number} never arrived"],
            "open": [
                "The tracking for order {number} says delivered, but I haven't received anything and none "
                "of my neighbours took it in. What can I do?"
            ],
            "ask": [
                "We're very sorry. Could you check with your neighbours and see whether a card was left in "
                "your letterbox? Meanwhile we'll ask {carrier} for proof of delivery."
            ],
            "answer": ["I asked all my neighbours, nothing. No card in the letterbox either."],
            "hold": [
                "We've asked {carrier} for proof of delivery with signature and GPS position and will "
                "write as soon as we have it."
            ],
            "solution": [
                "The carrier could not provide valid proof of delivery, so we've sent your order again "
                "at our expense. You'll get an e-mail with the new tracking number shortly."
            ],
        },
        notes=["POD richiesta a {carrier}. Nella foto di consegna la firma è illeggibile."],
    ),
    Topic(
        "damaged",
        "resi-e-rimborsi",
        9,
        "waiting_on_customer",
        True,
        it={
            "subject": ["Prodotto arrivato danneggiato", "Ordine {number}: articolo rotto"],
            "open": [
                "Oggi è arrivato l'ordine {number}, ma l'articolo \"{product}\" è danneggiato: la scatola "
                "era schiacciata e il contenuto è rovinato. Vorrei una sostituzione."
            ],
            "ask": [
                "Ci dispiace davvero. Per procedere ci può inviare un paio di foto dell'articolo e "
                "dell'imballo? Per ora non serve rispedire nulla."
            ],
            "answer": ["Ecco le foto. Anche la scatola esterna era rovinata."],
            "hold": [
                "Abbiamo aperto una pratica di danno con {carrier} e nel frattempo prepariamo la "
                "sostituzione."
            ],
            "solution": [
                'Le abbiamo spedito oggi un articolo sostitutivo ("{product}") senza alcun costo. Non '
                "serve restituire quello danneggiato."
            ],
        },
        en={
            "subject": ["Item arrived damaged", "Order {number}: broken item"],
            "open": [
                'Order {number} arrived today but the "{product}" is damaged: the box was crushed and '
                "the item is ruined. I'd like a replacement."
            ],
            "ask": [
                "We're really sorry. Could you send us a couple of photos of the item and the packaging? "
                "There's no need to send anything back for now."
            ],
            "answer": ["Here are the photos. The outer box was damaged too."],
            "hold": ["We've opened a damage claim with {carrier} and are preparing your replacement."],
            "solution": [
                "We've sent you a replacement \"{product}\" today at no cost. There's no need to return "
                "the damaged one."
            ],
        },
        notes=[
            "Foto ricevute, danno evidente. Sostituzione approvata senza reso.",
            'Altro danno su "{product}" questo mese: segnalare al magazzino l\'imballo.',
        ],
    ),
    Topic(
        "wrong_size",
        "resi-e-rimborsi",
        8,
        "waiting_on_customer",
        True,
        it={
            "subject": ["Reso per taglia sbagliata", "Cambio taglia ordine {number}"],
            "open": [
                "Ho ricevuto l'articolo \"{product}\" dell'ordine {number}, ma la taglia è troppo piccola. "
                "Posso cambiarla con una più grande?"
            ],
            "ask": ["Certo! Ci conferma la taglia che desidera? Le invieremo l'etichetta di reso prepagata."],
            "answer": ["Vorrei la taglia successiva, grazie."],
            "hold": [
                "Abbiamo creato il reso: riceverà l'etichetta per email. Appena il pacco arriva in "
                "magazzino spediamo la nuova taglia."
            ],
            "solution": [
                "Il reso è arrivato in magazzino e abbiamo spedito la nuova taglia. Il cambio è gratuito."
            ],
        },
        en={
            "subject": ["Return: wrong size", "Size exchange for order {number}"],
            "open": [
                'I received the "{product}" from order {number} but it\'s too small. Can I exchange it '
                "for a bigger size?"
            ],
            "ask": ["Of course! Which size would you like? We'll send you a prepaid return label."],
            "answer": ["One size up, please."],
            "hold": [
                "We've created the return and you'll get the label by e-mail. As soon as the parcel "
                "reaches our warehouse we'll send the new size."
            ],
            "solution": [
                "Your return has reached our warehouse and the new size is on its way. The exchange "
                "is free of charge."
            ],
        },
        notes=[
            "Etichetta di reso {carrier} generata.",
            "Cambio taglia: disponibilità verificata in magazzino.",
        ],
    ),
    Topic(
        "refund_not_arrived",
        "resi-e-rimborsi",
        9,
        "waiting_on_bank",
        True,
        it={
            "subject": ["Rimborso non ancora arrivato", "Ordine {number}: dov'è il mio rimborso?"],
            "open": [
                "Mi avete confermato il rimborso di {amount} per l'ordine {number} il {refund_date}, ma sul "
                "conto non vedo ancora nulla. Quando arriva?"
            ],
            "ask": [
                "Ci indica le ultime 4 cifre della carta o del conto con cui ha pagato? Così verifichiamo "
                "con la banca."
            ],
            "answer": ["Le ultime cifre sono {last4}."],
            "hold": [
                "Il rimborso di {amount} è stato inviato il {refund_date}. Le banche impiegano fino a 10 "
                "giorni lavorativi: abbiamo chiesto conferma dell'accredito e le scriviamo appena la "
                "riceviamo."
            ],
            "solution": [
                "Il circuito di pagamento conferma che il rimborso di {amount} è stato accreditato. "
                'Nell\'estratto conto può comparire come "Bottega Premura" o con il nome del '
                "circuito."
            ],
        },
        en={
            "subject": ["Refund not received yet", "Order {number}: where is my refund?"],
            "open": [
                "You confirmed a refund of {amount} for order {number} on {refund_date}, but I still can't "
                "see it in my account. When will it arrive?"
            ],
            "ask": [
                "Could you tell us the last 4 digits of the card or account you paid with? Then we can "
                "check with the bank."
            ],
            "answer": ["The last digits are {last4}."],
            "hold": [
                "The refund of {amount} was sent on {refund_date}. Banks take up to 10 working days; we've "
                "asked for confirmation and will write as soon as we have it."
            ],
            "solution": [
                "The payment network confirms that the refund of {amount} has been credited. It may "
                'show on your statement as "Bottega Premura" or under the card network\'s name.'
            ],
        },
        notes=["Verificato sul gateway: rimborso inviato il {refund_date}, ARN {ticket}."],
    ),
    Topic(
        "card_blocked",
        "pagamenti",
        6,
        "waiting_on_bank",
        True,
        it={
            "subject": [
                "Importo ancora bloccato sulla carta dopo l'annullamento",
                "Ordine {number} annullato ma soldi ancora bloccati",
            ],
            "open": [
                "Ho annullato l'ordine {number}, ma sulla carta vedo ancora bloccati {amount}. Quando "
                "vengono sbloccati?"
            ],
            "ask": ['Ci conferma se l\'importo compare come "in attesa" o come addebito già contabilizzato?'],
            "answer": ['Nell\'app della banca risulta ancora "in attesa".'],
            "hold": [
                "Abbiamo annullato l'autorizzazione il giorno stesso dell'annullamento: non le è stato "
                "addebitato nulla. Lo sblocco dipende dalla sua banca e di solito richiede da 5 a 10 giorni "
                "lavorativi. Abbiamo chiesto una conferma al circuito."
            ],
            "solution": [
                "Il circuito conferma che l'autorizzazione è stata annullata: l'importo non verrà "
                "addebitato e sparirà dai movimenti in attesa entro pochi giorni. Se restasse, la sua "
                "banca può sbloccarlo con il nostro codice di annullamento {ticket}."
            ],
        },
        en={
            "subject": [
                "Money still held on my card after cancelling",
                "Order {number} cancelled but amount still blocked",
            ],
            "open": [
                "I cancelled order {number} but {amount} is still held on my card. When will it be released?"
            ],
            "ask": ['Could you tell us whether the amount shows as "pending" or as a completed payment?'],
            "answer": ['My banking app still shows it as "pending".'],
            "hold": [
                "We voided the authorisation on the day you cancelled, so nothing was charged. Releasing "
                "the hold is up to your bank and usually takes 5 to 10 working days. We've asked the card "
                "network for confirmation."
            ],
            "solution": [
                "The card network confirms the authorisation was voided: you won't be charged and it "
                "will disappear from your pending transactions within a few days. If it doesn't, your "
                "bank can release it with our void reference {ticket}."
            ],
        },
        notes=["Void ok sul gateway il giorno dell'annullamento. È la banca della cliente a essere lenta."],
    ),
    Topic(
        "invoice",
        "pagamenti",
        7,
        "waiting_on_customer",
        True,
        it={
            "subject": ["Richiesta fattura ordine {number}", "Fattura per l'ordine {number}"],
            "open": ["Avrei bisogno della fattura per l'ordine {number}: ho partita IVA."],
            "ask": [
                "Certamente. Ci indica ragione sociale, partita IVA e codice destinatario SDI (oppure PEC)?"
            ],
            "answer": ["Ragione sociale {company}, P.IVA {vat}, codice SDI {sdi}."],
            "hold": ["Stiamo emettendo la fattura elettronica: la riceverà tramite SDI entro 48 ore."],
            "solution": [
                "La fattura elettronica per l'ordine {number} è stata emessa e inviata tramite SDI. "
                "In allegato trova una copia di cortesia in PDF."
            ],
        },
        en={
            "subject": ["Invoice request for order {number}", "VAT invoice for order {number}"],
            "open": ["I need a VAT invoice for order {number} for my company."],
            "ask": ["Of course. Could you send us your company name, VAT number and billing address?"],
            "answer": ["{company}, VAT number {vat}, same address as the delivery."],
            "hold": ["We're issuing the invoice and you'll receive it within two working days."],
            "solution": ["Your invoice for order {number} is attached to this e-mail as a PDF."],
        },
        notes=["Fattura emessa dal gestionale, n. {invoice}."],
    ),
    Topic(
        "bank_transfer",
        "pagamenti",
        3,
        "waiting_on_bank",
        True,
        it={
            "subject": ["Bonifico effettuato per l'ordine {number}"],
            "open": ["Ieri ho fatto il bonifico per l'ordine {number}. Quando verrà spedito?"],
            "ask": ["Ci può inviare la ricevuta del bonifico con il CRO? Così lo abbiniamo più velocemente."],
            "answer": ["Ecco il CRO: {ticket}."],
            "hold": [
                "Il bonifico non risulta ancora accreditato: un bonifico ordinario impiega 1-2 giorni "
                "lavorativi. Appena arriva, l'ordine parte in giornata."
            ],
            "solution": [
                "Abbiamo abbinato il bonifico al suo ordine: appena l'accredito è confermato l'ordine "
                "parte e riceverà il tracking per email."
            ],
        },
        en={
            "subject": ["Bank transfer sent for order {number}"],
            "open": ["I made the bank transfer for order {number} yesterday. When will it ship?"],
            "ask": [
                "Could you send us the transfer receipt with its reference? It helps us match it faster."
            ],
            "answer": ["The transfer reference is {ticket}."],
            "hold": [
                "The transfer hasn't reached us yet: a standard transfer takes 1-2 working days. As soon "
                "as it arrives, your order ships the same day."
            ],
            "solution": [
                "We've matched the transfer to your order: as soon as the funds clear it ships and "
                "you'll get the tracking by e-mail."
            ],
        },
        notes=["Bonifico non ancora in estratto conto, ricontrollare domani."],
    ),
    Topic(
        "change_address",
        "ordini-e-spedizioni",
        4,
        "waiting_on_customer",
        True,
        it={
            "subject": [
                "Modifica indirizzo di spedizione ordine {number}",
                "Indirizzo sbagliato nell'ordine {number}",
            ],
            "open": [
                "Ho sbagliato l'indirizzo nell'ordine {number}: il numero civico giusto è {civic}. Potete "
                "correggerlo prima della spedizione?"
            ],
            "ask": ["Ci conferma l'indirizzo completo, con CAP?"],
            "answer": ["{street_fixed}, {postcode} {city}."],
            "hold": [
                "L'ordine è già in preparazione: abbiamo chiesto al magazzino di correggere l'etichetta."
            ],
            "solution": [
                "Abbiamo corretto l'indirizzo: l'ordine partirà verso {street_fixed}, {postcode} {city}."
            ],
        },
        en={
            "subject": ["Change delivery address for order {number}", "Wrong address on order {number}"],
            "open": [
                "I made a mistake in the address for order {number}: the right house number is {civic}. "
                "Could you fix it before it ships?"
            ],
            "ask": ["Could you confirm the full address, including postcode?"],
            "answer": ["{street_fixed}, {postcode} {city}."],
            "hold": ["Your order is already being packed; we've asked the warehouse to fix the label."],
            "solution": [
                "We've corrected the address: your order will go to {street_fixed}, {postcode} {city}."
            ],
        },
        notes=["Indirizzo corretto anche sull'ordine nel gestionale."],
    ),
    Topic(
        "product_question",
        "prodotti",
        8,
        "waiting_on_customer",
        False,
        it={
            "subject": ['Informazioni su "{product}"', 'Domanda su "{product}"'],
            "open": [
                'Vorrei qualche informazione sull\'articolo "{product}": è adatto a un uso quotidiano? E '
                "quanto ci mette ad arrivare a {city}?"
            ],
            "ask": ["Certo! Per consigliarla al meglio, ci dice come pensa di usarlo?"],
            "answer": ["Lo userei quasi tutti i giorni, in casa e in viaggio."],
            "hold": [
                "Abbiamo chiesto i dettagli tecnici al produttore e le rispondiamo appena li riceviamo."
            ],
            "solution": [
                "L'articolo \"{product}\" è adatto all'uso quotidiano e, come tutti i nostri prodotti, "
                "ha 2 anni di garanzia legale. Le consegne a {city} richiedono di solito 2-3 giorni "
                "lavorativi."
            ],
        },
        en={
            "subject": ['Question about "{product}"', 'Information on "{product}"'],
            "open": [
                'I\'d like some information about "{product}": is it suitable for everyday use? And how '
                "long does delivery to {city} take?"
            ],
            "ask": ["Of course! To advise you properly, how do you plan to use it?"],
            "answer": ["Almost every day, at home and when travelling."],
            "hold": ["We've asked the manufacturer for the technical details and will get back to you."],
            "solution": [
                '"{product}" is fine for everyday use and, like everything we sell, comes with a '
                "2-year legal guarantee. Delivery to {city} usually takes 2-3 working days."
            ],
        },
        notes=["Scheda tecnica chiesta al fornitore."],
    ),
    Topic(
        "restock",
        "prodotti",
        3,
        "waiting_on_customer",
        False,
        it={
            "subject": ['Quando torna disponibile "{product}"?'],
            "open": ['L\'articolo "{product}" risulta esaurito. Sapete quando tornerà disponibile?'],
            "ask": ["Vuole che la avvisiamo per email appena torna disponibile?"],
            "answer": ["Sì, grazie, avvisatemi."],
            "hold": ["Abbiamo chiesto al fornitore la data del prossimo arrivo."],
            "solution": [
                'L\'articolo "{product}" torna disponibile la prossima settimana: abbiamo attivato '
                "per lei l'avviso di disponibilità."
            ],
        },
        en={
            "subject": ['When will "{product}" be back in stock?'],
            "open": ['"{product}" is sold out. Do you know when it will be back?'],
            "ask": ["Would you like us to e-mail you as soon as it's back in stock?"],
            "answer": ["Yes please, let me know."],
            "hold": ["We've asked the supplier for the date of the next delivery."],
            "solution": [
                '"{product}" is back next week and we\'ve signed you up for the back-in-stock alert.'
            ],
        },
        notes=["Riassortimento previsto la prossima settimana (sentito il buyer)."],
    ),
    Topic(
        "password",
        "account",
        6,
        "waiting_on_customer",
        False,
        it={
            "subject": ["Non riesco ad accedere al mio account", "Problema con la password"],
            "open": [
                "Non riesco più ad accedere al mio account: la mail per reimpostare la password non arriva."
            ],
            "ask": [
                "Ci conferma l'indirizzo email con cui si è registrato? A volte la mail finisce nello spam o "
                "nelle promozioni."
            ],
            "answer": ["L'indirizzo è {email}. Nello spam non c'è nulla."],
            "hold": [
                "Abbiamo segnalato il problema al nostro team tecnico e la aggiorniamo appena possibile."
            ],
            "solution": [
                "Abbiamo ripristinato l'accesso e le abbiamo inviato un nuovo link valido 24 ore. Se "
                "non lo trova, controlli anche la cartella Promozioni."
            ],
        },
        en={
            "subject": ["I can't log in to my account", "Password reset not working"],
            "open": ["I can't log in to my account any more: the password reset e-mail never arrives."],
            "ask": [
                "Could you confirm the e-mail address you registered with? Sometimes the message ends up in "
                "spam or promotions."
            ],
            "answer": ["It's {email}. There's nothing in spam."],
            "hold": ["We've passed this to our technical team and will update you as soon as possible."],
            "solution": [
                "We've restored your access and sent you a new link, valid for 24 hours. If you can't "
                "find it, please check your Promotions folder too."
            ],
        },
        notes=["Email di reset bloccata dal filtro antispam del provider: reinviata manualmente."],
    ),
    Topic(
        "gdpr",
        "account",
        2,
        "waiting_on_customer",
        False,
        it={
            "subject": ["Richiesta di cancellazione dei miei dati", "Cancellazione account"],
            "open": [
                "Vorrei che il mio account e i miei dati personali venissero cancellati, e non ricevere "
                "più la newsletter."
            ],
            "ask": [
                "Per sicurezza ci conferma la richiesta rispondendo da {email}? I dati degli ordini restano "
                "conservati per gli obblighi fiscali, ma non saranno più usati per altro."
            ],
            "answer": ["Confermo la richiesta, grazie."],
            "hold": [
                "Abbiamo preso in carico la richiesta: la cancellazione si completa entro 30 giorni, come "
                "previsto dal GDPR."
            ],
            "solution": [
                "Abbiamo cancellato il suo account e l'iscrizione alla newsletter. I dati degli ordini "
                "restano conservati solo per gli obblighi fiscali."
            ],
        },
        en={
            "subject": ["Request to delete my data", "Please close my account"],
            "open": ["I'd like my account and personal data deleted, and to stop receiving the newsletter."],
            "ask": [
                "For your security, could you confirm by replying from {email}? Order records are kept for "
                "tax purposes but won't be used for anything else."
            ],
            "answer": ["I confirm the request, thanks."],
            "hold": [
                "We've logged your request; the deletion is completed within 30 days as required by the GDPR."
            ],
            "solution": [
                "We've deleted your account and unsubscribed you from the newsletter. Order records "
                "are kept only for tax purposes."
            ],
        },
        notes=["Richiesta GDPR registrata nel registro trattamenti."],
    ),
]
TOPICS_BY_KEY = {t.key: t for t in TOPICS}

NUDGES = {
    "it": [
        "Ci sono novità?",
        "Vi ho scritto qualche giorno fa e non ho ancora avuto risposta. Potete aggiornarmi?",
        "Scusate se insisto, ma mi serve una risposta al più presto.",
    ],
    "en": [
        "Any news?",
        "I wrote a few days ago and haven't heard back yet. Could you give me an update?",
        "Sorry to chase, but I really need an answer soon.",
    ],
}
THANKS = {
    "it": ["Grazie mille, gentilissimi!", "Perfetto, grazie per l'aiuto.", "Ricevuto, grazie!"],
    "en": ["Thanks a lot, that's great!", "Perfect, thank you for your help.", "Got it, thanks!"],
}
CUSTOMER_GREETINGS = {"it": ["Buongiorno,", "Salve,", "Buonasera,"], "en": ["Hello,", "Hi,", "Good morning,"]}
CUSTOMER_SIGN_OFFS = {
    "it": ["Grazie,\n{full}", "Cordiali saluti,\n{full}", "{first}"],
    "en": ["Thanks,\n{full}", "Best,\n{first}", "Kind regards,\n{full}"],
}
AGENT_GREETINGS = {"it": ["Buongiorno {first},", "Gentile {first},"], "en": ["Hi {first},", "Dear {first},"]}
AGENT_SIGN_OFFS = {
    "it": ["Cordiali saluti,", "Un cordiale saluto,", "Restiamo a disposizione.\nCordiali saluti,"],
    "en": ["Kind regards,", "Best wishes,", "Let us know if there's anything else.\nKind regards,"],
}

# Lines that make bulk messages look like real mail (the benchmark's generator uses them too).
COMPLAINTS = {
    "it": [
        "È la terza volta che scrivo senza ricevere risposta.",
        "Sono molto deluso, ero un cliente affezionato.",
        "Se non ricevo risposta entro domani apro una contestazione con la banca.",
        "Vi prego di rispondere al più presto, è urgente.",
    ],
    "en": [
        "This is the third time I write without an answer.",
        "I am very disappointed, I was a loyal customer.",
        "If I do not hear back by tomorrow I will dispute the charge with my bank.",
        "Please answer as soon as possible, it is urgent.",
    ],
}
CONTEXT_LINES = {
    "it": [
        "Ho già scritto anche tramite il modulo del sito.",
        "Sono disponibile al telefono tutto il giorno.",
        "L'indirizzo di consegna è quello del profilo.",
        "Mi serve entro la fine della settimana per un regalo.",
    ],
    "en": [
        "I already wrote through the form on your website.",
        "I can be reached by phone all day.",
        "The delivery address is the one on my profile.",
        "I need it by the end of the week, it is a present.",
    ],
}
AGENT_EXTRA_LINES = {
    "it": [
        "Se ha altre domande può rispondere direttamente a questa e-mail.",
        "Mi scuso per l'attesa e per il disagio.",
        "Può seguire la spedizione anche dalla pagina del suo ordine sul nostro sito.",
    ],
    "en": [
        "If you have any other question, just reply to this e-mail.",
        "I am sorry for the wait and the trouble.",
        "You can also follow the shipment from your order page on our website.",
    ],
}
ORDER_FOOTERS = {
    "it": "--\nOrdine {number} del {placed} · Totale {amount}",
    "en": "--\nOrder {number} of {placed} · Total {amount}",
}
SENT_FROM_PHONE = {"it": "Inviato da iPhone", "en": "Sent from my iPhone"}
QUOTE_HEADER = {"it": "Il giorno {date} {name} ha scritto:", "en": "On {date}, {name} wrote:"}
MONTHS = {
    "it": _items("""gennaio, febbraio, marzo, aprile, maggio, giugno, luglio, agosto, settembre, ottobre,
novembre, dicembre"""),
    "en": _items("""January, February, March, April, May, June, July, August, September, October, November,
December"""),
}


def agent_signature(display_name: str) -> str:
    """The signature of a demo agent: their name and the shop's customer service."""
    return f"{display_name}\nServizio clienti {SHOP_NAME}"


def ascii_fold(text: str) -> str:
    """Lower-case letters and digits only, accents dropped: "D'Angelo" -> "dangelo" (for e-mails)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum())


def date_text(year: int, month: int, day: int, language: str) -> str:
    """A date as a customer writes it: "6 giugno 2026", "6 June 2026"."""
    return f"{day} {MONTHS[language][month - 1]} {year}"
