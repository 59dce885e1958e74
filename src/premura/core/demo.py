"""Demo data: "Bottega Premura", an Italian online shop with a few months of history.

`load_demo` creates teams, agents, carriers, customers, orders (with payments, refunds, shipments
and tracking histories) and customer-care cases with their conversations. Everything is drawn from
one `random.Random(seed)`, so the same seed gives the same shop. Customer e-mail addresses use the
reserved example.com/.net/.org domains, so a demo shop can never write to a real person.
"""

import math
import random
import unicodedata
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from premura.agents.models import Agent, Role, Team
from premura.agents.services import set_role
from premura.commerce.models import (
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentMethod,
    PaymentState,
    Refund,
    RefundStatus,
)
from premura.conversations.models import (
    Case,
    CaseStatus,
    Direction,
    Message,
    Priority,
    phase_of,
)
from premura.core.audit import record_event
from premura.core.models import AuditEvent, Channel
from premura.core.money import format_money
from premura.customers.models import Customer, CustomerIdentity, IdentityKind, Language, Tier, fold_name
from premura.shipping.models import Carrier, Shipment, TrackingEvent, TrackingStatus
from premura.shop.services import configure_shop

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
DEFAULT_SEED = 42
ROME = zoneinfo.ZoneInfo("Europe/Rome")

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


@dataclass(frozen=True)
class DemoAgent:
    username: str
    first_name: str
    last_name: str
    team: str  # team slug
    is_admin: bool = False

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


DEMO_AGENTS = [
    DemoAgent("admin", "Giulia", "Bianchi", "account", is_admin=True),
    DemoAgent("marco", "Marco", "Rossi", "ordini-e-spedizioni"),
    DemoAgent("sara", "Sara", "Colombo", "ordini-e-spedizioni"),
    DemoAgent("luca", "Luca", "Ferrari", "resi-e-rimborsi"),
    DemoAgent("chiara", "Chiara", "Esposito", "resi-e-rimborsi"),
    DemoAgent("paolo", "Paolo", "Ricci", "pagamenti"),
    DemoAgent("elena", "Elena", "Romano", "prodotti"),
    DemoAgent("davide", "Davide", "Greco", "account"),
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
            ("ANOMALIA", "Anomalia nella lavorazione: collo danneggiato, in verifica"),
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
            ("DAMAGED", "Collo danneggiato durante il trasporto"),
            ("ADDRESSERROR", "Indirizzo errato o incompleto"),
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
            ("DANNEGGIATO", "Spedizione danneggiata: in verifica"),
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
            ("DANNEGGIATA", "Spedizione danneggiata: in verifica"),
            ("FERMO DEPOSITO", "Spedizione ferma in deposito: indirizzo da verificare"),
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

KIND_STATUS = {
    "pending": TrackingStatus.PENDING,
    "label": TrackingStatus.INFO_RECEIVED,
    "pickup": TrackingStatus.IN_TRANSIT,
    "depart": TrackingStatus.IN_TRANSIT,
    "hub": TrackingStatus.IN_TRANSIT,
    "arrived": TrackingStatus.IN_TRANSIT,
    "ofd": TrackingStatus.OUT_FOR_DELIVERY,
    "attempt_fail": TrackingStatus.ATTEMPT_FAIL,
    "pickup_point": TrackingStatus.AVAILABLE_FOR_PICKUP,
    "exception": TrackingStatus.EXCEPTION,
    "expired": TrackingStatus.EXPIRED,
    "delivered": TrackingStatus.DELIVERED,
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
    waits_on: str  # the waiting status the case takes while someone else has to act
    needs_order: bool
    it: dict[str, list[str]]
    en: dict[str, list[str]]
    notes: list[str]  # internal notes, always in Italian


TOPICS = [
    Topic(
        "parcel_late",
        "ordini-e-spedizioni",
        20,
        CaseStatus.WAITING_ON_CARRIER,
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
        CaseStatus.WAITING_ON_CARRIER,
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
        CaseStatus.WAITING_ON_CARRIER,
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
        CaseStatus.WAITING_ON_CUSTOMER,
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
        CaseStatus.WAITING_ON_CUSTOMER,
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
        CaseStatus.WAITING_ON_BANK,
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
        CaseStatus.WAITING_ON_BANK,
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
        CaseStatus.WAITING_ON_CUSTOMER,
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
        CaseStatus.WAITING_ON_BANK,
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
        CaseStatus.WAITING_ON_CUSTOMER,
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
        CaseStatus.WAITING_ON_CUSTOMER,
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
        CaseStatus.WAITING_ON_CUSTOMER,
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
        CaseStatus.WAITING_ON_CUSTOMER,
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
        CaseStatus.WAITING_ON_CUSTOMER,
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
AGENT_STEPS = frozenset({"ask", "hold", "solution"})
CUSTOMER_STEPS = frozenset({"open", "nudge", "answer", "thanks"})

# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def add_business_days(day: date, days: int) -> date:
    """`day` moved forward by `days` working days (Monday to Friday)."""
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def _business_day_on_or_before(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _business_days_between(start: date, end: date) -> int:
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if day.weekday() < 5:
            count += 1
    return count


def _local(day: date, at: time) -> datetime:
    """A Rome wall-clock time, in UTC so that adding hours to it is exact across DST changes."""
    return datetime.combine(day, at, tzinfo=ROME).astimezone(UTC)


def _at(rng: random.Random, day: date, from_hour: float, to_hour: float) -> datetime:
    """A random Rome local time on `day` between two hours."""
    minute = rng.randint(round(from_hour * 60), round(to_hour * 60))
    return _local(day, time(minute // 60, minute % 60))


def _hours(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(minutes=rng.randint(round(low * 60), round(high * 60)))


def _fit(times: list[datetime], origin: datetime, now: datetime, rng: random.Random) -> list[datetime]:
    """Squeeze a timeline starting after `origin` so that it ends before `now`, keeping its order."""
    if not times or times[-1] <= now - timedelta(minutes=2):
        return times
    target = now - timedelta(minutes=rng.randint(3, 90))
    if target <= origin:
        target = origin + (now - origin) * 0.9
    span = times[-1] - origin
    factor = (target - origin) / span if span > timedelta(0) else 0.0
    return [origin + (t - origin) * factor for t in times]


def _working_time(rng: random.Random, at: datetime) -> datetime:
    """`at`, or the start of the next working window (Monday to Saturday, 8:30 to 19:00) if outside one."""
    local = at.astimezone(ROME)
    if local.weekday() < 6 and time(8, 30) <= local.time() < time(19):
        return at
    day = local.date() + timedelta(days=1) if local.time() >= time(19) else local.date()
    while day.weekday() == 6:
        day += timedelta(days=1)
    return _at(rng, day, 8.5, 10.5)


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum())


def _date_text(day: date, language: str) -> str:
    return day.strftime("%d/%m/%Y") if language == "it" else f"{day.day} {day:%B %Y}"


def substream(seed: int, *parts: object) -> random.Random:
    """An independent random stream for one part of the shop, so that changing one part (or the hour
    of the load) does not reshuffle the others."""
    return random.Random(":".join(str(p) for p in (seed, *parts)))


def _weighted(rng: random.Random, table: dict[Any, float]) -> Any:
    keys = list(table)
    return rng.choices(keys, weights=[table[k] for k in keys])[0]


# --------------------------------------------------------------------------------------------
# Plans: everything is decided in memory first, then written with bulk_create
# --------------------------------------------------------------------------------------------


@dataclass
class Person:
    customer: Customer
    first_name: str
    email: str
    phone: str
    street: str
    postcode: str
    city: str
    province: str
    country: str
    whatsapp: bool = False
    instagram: str = ""
    weight: float = 1.0

    @property
    def language(self) -> str:
        return self.customer.language


@dataclass
class OrderPlan:
    order: Order
    person: Person
    lines: list[OrderLine]
    rng: random.Random
    method: str = PaymentMethod.CARD
    tracking: str | None = None  # the shipment's final tracking status, None when there is none
    late: bool = False
    cancelled_at: datetime | None = None
    carrier_code: str = ""
    shipment: Shipment | None = None
    events: list[TrackingEvent] = field(default_factory=list)
    payment: Payment | None = None
    refund: Refund | None = None


@dataclass
class CasePlan:
    case: Case
    person: Person
    topic: Topic
    context: dict[str, str]
    script: list[str] = field(default_factory=list)
    owner: Agent | None = None
    messages: list[Message] = field(default_factory=list)
    assigned_at: datetime | None = None


@dataclass
class DemoSummary:
    customers: int = 0
    identities: int = 0
    orders: int = 0
    payments: int = 0
    refunds: int = 0
    shipments: int = 0
    tracking_events: int = 0
    cases: int = 0
    messages: int = 0
    audit_events: int = 0
    agents: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Desk setup
# --------------------------------------------------------------------------------------------


def ensure_teams() -> dict[str, Team]:
    """The five demo teams, keyed by their slug in TEAMS (found by name if they already exist)."""
    teams = {}
    for slug, name in TEAMS:
        team, _ = Team.objects.get_or_create(name=name, defaults={"slug": slug})
        teams[slug] = team
    return teams


def ensure_agents(teams: dict[str, Team]) -> dict[str, Agent]:
    """The demo logins (password DEMO_PASSWORD) and their agent profiles, by username."""
    user_model = get_user_model()
    password = make_password(DEMO_PASSWORD)  # hashed once: the same password for every demo login
    agents = {}
    for spec in DEMO_AGENTS:
        user = user_model.objects.filter(username=spec.username).first() or user_model(username=spec.username)
        user.first_name, user.last_name = spec.first_name, spec.last_name
        user.email = f"{spec.username}@premura.example"
        user.password = password
        user.is_superuser = spec.is_admin
        user.is_active = True
        user.save()
        agent, _ = Agent.objects.update_or_create(
            user=user,
            defaults={
                "display_name": spec.display_name,
                "signature": f"{spec.display_name}\nServizio clienti {SHOP_NAME}",
                "team": teams[spec.team],
                "is_available": True,
            },
        )
        set_role(agent, Role.ADMIN if spec.is_admin else Role.AGENT)
        agents[spec.username] = agent
    return agents


def ensure_carriers() -> dict[str, Carrier]:
    """The five Italian carriers, by code."""
    carriers = {}
    for code, name, template in CARRIERS:
        carrier, _ = Carrier.objects.update_or_create(
            code=code, defaults={"name": name, "tracking_url_template": template}
        )
        carriers[code] = carrier
    return carriers


# --------------------------------------------------------------------------------------------
# Customers
# --------------------------------------------------------------------------------------------


def plan_customers(rng: random.Random, count: int, now: datetime) -> list[Person]:
    """`count` customers, about 65% Italian and 35% English, with unique identities."""
    english = set(rng.sample(range(count), round(count * 0.35)))
    # Addresses already in the database are taken: the demo never collides with a real customer.
    taken = CustomerIdentity.objects.values_list("value", flat=True)
    emails = set(taken.filter(kind=IdentityKind.EMAIL))
    phones = set(taken.filter(kind__in=[IdentityKind.PHONE, IdentityKind.WHATSAPP]))
    handles = set(taken.filter(kind=IdentityKind.INSTAGRAM))
    people = []
    for index in range(count):
        is_english = index in english
        in_uk = is_english and rng.random() < 0.4
        female = rng.random() < 0.55
        if is_english:
            first = rng.choice(ENGLISH_FEMALE if female else ENGLISH_MALE)
            last = rng.choice(ENGLISH_SURNAMES)
        else:
            first = rng.choice(ITALIAN_FEMALE if female else ITALIAN_MALE)
            last = rng.choice(ITALIAN_SURNAMES)
        full = f"{first} {last}"
        first_ascii, last_ascii = _ascii(first), _ascii(last)

        pattern = rng.randrange(4)
        local = [
            f"{first_ascii}.{last_ascii}",
            f"{first_ascii}{last_ascii}{rng.randint(70, 99)}",
            f"{first_ascii[0]}{last_ascii}",
            f"{last_ascii}.{first_ascii}",
        ][pattern]
        email = f"{local}@{rng.choice(DEMO_EMAIL_DOMAINS)}"
        while email in emails:
            email = f"{local}{rng.randint(1, 999)}@{rng.choice(DEMO_EMAIL_DOMAINS)}"
        emails.add(email)

        phone = ""
        if rng.random() < 0.7:
            while not phone or phone in phones:
                phone = (
                    f"+447{rng.randint(100000000, 999999999)}"
                    if in_uk
                    else f"+393{rng.randint(100000000, 999999999)}"
                )
            phones.add(phone)
        instagram = ""
        if rng.random() < 0.12:
            instagram = f"{first_ascii}.{last_ascii}{rng.randint(1, 99)}"
            while instagram in handles:
                instagram += str(rng.randint(0, 9))
            handles.add(instagram)
        has_whatsapp = bool(phone) and rng.random() < 0.4

        if in_uk:
            city, postcode = rng.choice(UK_CITIES)
            street, province, country = f"{rng.randint(1, 120)} {rng.choice(UK_STREETS)}", "", "GB"
        else:
            city, province, postcodes = rng.choice(ITALIAN_CITIES)
            postcode, country = rng.choice(postcodes), "IT"
            street = f"{rng.choice(ITALIAN_STREETS)} {rng.randint(1, 150)}"

        preferred = Channel.EMAIL
        roll = rng.random()
        if has_whatsapp and roll < 0.5:
            preferred = Channel.WHATSAPP
        elif instagram and roll < 0.3:
            preferred = Channel.INSTAGRAM
        elif phone and roll < 0.08:
            preferred = rng.choice([Channel.PHONE, Channel.SMS])
        quiet = None
        if rng.random() < 0.2:
            quiet = rng.choice([(time(21), time(8)), (time(22), time(7, 30)), (time(20, 30), time(9))])
        customer = Customer(
            full_name=full,
            search_name=fold_name(full),
            language=Language.ENGLISH if is_english else Language.ITALIAN,
            preferred_channel=preferred,
            time_zone="Europe/London" if in_uk else "Europe/Rome",
            quiet_hours_start=quiet[0] if quiet else None,
            quiet_hours_end=quiet[1] if quiet else None,
            marketing_consent=rng.random() < 0.4,
            tier=Tier.VIP if rng.random() < 0.05 else Tier.STANDARD,
            notes=rng.choice(CUSTOMER_NOTES) if rng.random() < 0.05 else "",
            created_at=now - timedelta(days=rng.uniform(1, 900)),
        )
        weight = rng.choice([1, 1, 1, 1, 1, 2, 2, 3, 5]) * (3 if customer.tier == Tier.VIP else 1)
        people.append(
            Person(
                customer,
                first,
                email,
                phone,
                street,
                postcode,
                city,
                province,
                country,
                whatsapp=has_whatsapp,
                instagram=instagram,
                weight=weight,
            )
        )
    return people


def customer_identities(person: Person) -> list[CustomerIdentity]:
    """The identities of a planned customer: e-mail always, phone, WhatsApp and Instagram sometimes."""
    addresses = [
        (IdentityKind.EMAIL, person.email),
        (IdentityKind.PHONE, person.phone),
        (IdentityKind.WHATSAPP, person.phone if person.whatsapp else ""),
        (IdentityKind.INSTAGRAM, person.instagram),
    ]
    return [
        CustomerIdentity(
            customer=person.customer,
            kind=kind,
            value=value,
            is_primary=True,
            created_at=person.customer.created_at,
        )
        for kind, value in addresses
        if value
    ]


# --------------------------------------------------------------------------------------------
# Orders, payments, shipments
# --------------------------------------------------------------------------------------------

ORDER_HOUR_WEIGHTS = [1, 1, 1, 1, 1, 1, 2, 4, 6, 7, 7, 7, 8, 8, 7, 7, 7, 8, 9, 10, 11, 10, 7, 3]

# Typical order age (days) for each tracking state: used to place the states the dice missed.
TYPICAL_AGE_DAYS = {
    TrackingStatus.PENDING: 0.3,
    TrackingStatus.INFO_RECEIVED: 0.8,
    TrackingStatus.IN_TRANSIT: 1.5,
    TrackingStatus.OUT_FOR_DELIVERY: 2.5,
    TrackingStatus.ATTEMPT_FAIL: 3.5,
    TrackingStatus.AVAILABLE_FOR_PICKUP: 6,
    TrackingStatus.EXCEPTION: 12,
    TrackingStatus.EXPIRED: 50,
    TrackingStatus.DELIVERED: 20,
}


def pick_order_status(rng: random.Random, age_days: float) -> str:
    """An order status that fits how long ago the order was placed."""
    if age_days < 0.5:
        table = {OrderStatus.PENDING: 20, OrderStatus.PAID: 75, OrderStatus.CANCELLED: 5}
    elif age_days < 2:
        table = {
            OrderStatus.PENDING: 6,
            OrderStatus.PAID: 34,
            OrderStatus.SHIPPED: 50,
            OrderStatus.CANCELLED: 6,
            OrderStatus.DELIVERED: 4,
        }
    elif age_days < 5:
        table = {
            OrderStatus.PAID: 5,
            OrderStatus.SHIPPED: 50,
            OrderStatus.DELIVERED: 38,
            OrderStatus.CANCELLED: 4,
            OrderStatus.REFUNDED: 3,
        }
    elif age_days < 15:
        table = {
            OrderStatus.SHIPPED: 10,
            OrderStatus.DELIVERED: 75,
            OrderStatus.CANCELLED: 5,
            OrderStatus.REFUNDED: 10,
        }
    else:
        table = {
            OrderStatus.SHIPPED: 3,
            OrderStatus.DELIVERED: 79,
            OrderStatus.CANCELLED: 6,
            OrderStatus.REFUNDED: 12,
        }
    return _weighted(rng, table)


def pick_tracking_status(rng: random.Random, order_status: str, age_days: float) -> str | None:
    """The final tracking status of an order's shipment, or None when it has no shipment."""
    if order_status == OrderStatus.DELIVERED:
        return TrackingStatus.DELIVERED
    if order_status == OrderStatus.REFUNDED:
        if rng.random() < 0.45:
            return None  # refunded before it shipped
        return TrackingStatus.DELIVERED if rng.random() < 0.75 else TrackingStatus.EXCEPTION
    if order_status != OrderStatus.SHIPPED:
        return None
    S = TrackingStatus
    if age_days < 1:
        table = {S.PENDING: 20, S.INFO_RECEIVED: 50, S.IN_TRANSIT: 30}
    elif age_days < 3:
        table = {
            S.INFO_RECEIVED: 10,
            S.IN_TRANSIT: 55,
            S.OUT_FOR_DELIVERY: 20,
            S.ATTEMPT_FAIL: 8,
            S.AVAILABLE_FOR_PICKUP: 4,
            S.EXCEPTION: 3,
        }
    elif age_days < 10:
        table = {
            S.IN_TRANSIT: 30,
            S.OUT_FOR_DELIVERY: 5,
            S.ATTEMPT_FAIL: 15,
            S.AVAILABLE_FOR_PICKUP: 25,
            S.EXCEPTION: 25,
        }
    elif age_days < 40:
        table = {S.IN_TRANSIT: 10, S.ATTEMPT_FAIL: 10, S.AVAILABLE_FOR_PICKUP: 20, S.EXCEPTION: 50}
        if age_days > 33:
            table[S.EXPIRED] = 10
    else:
        table = {S.EXCEPTION: 40, S.EXPIRED: 50, S.AVAILABLE_FOR_PICKUP: 10}
    return _weighted(rng, table)


def cover_tracking_states(plans: list[OrderPlan], now: datetime) -> None:
    """Make sure every tracking status appears at least once, when there are enough shipments.

    A missing state goes to the shipped or delivered order whose age fits it best, taken from a
    state that appears more than once, so no state is lost on the way.
    """
    candidates = [p for p in plans if p.order.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED)]
    for state in TrackingStatus.values:
        counts = Counter(p.tracking for p in plans if p.tracking)
        if counts[state]:
            continue
        pool = [p for p in candidates if counts[p.tracking] > 1]
        if not pool:
            return
        target = TYPICAL_AGE_DAYS[state]
        best = min(pool, key=lambda p: abs((now - p.order.placed_at) / timedelta(days=1) - target))
        best.tracking = state
        best.order.status = (
            OrderStatus.DELIVERED if state == TrackingStatus.DELIVERED else OrderStatus.SHIPPED
        )


def tracking_timeline(
    rng: random.Random, final: str, placed_at: datetime, promised: date, now: datetime, late: bool = False
) -> list[tuple[str, datetime]]:
    """The steps of a parcel's journey, as (step, time) pairs, ending in the `final` status before `now`."""
    S = TrackingStatus
    label_at = placed_at + _hours(rng, 0.75, 20)
    if final in (S.PENDING, S.INFO_RECEIVED):
        return [("pending" if final == S.PENDING else "label", _fit([label_at], placed_at, now, rng)[0])]

    label_local = label_at.astimezone(ROME)
    pickup_day = label_local.date()
    if pickup_day.weekday() >= 5 or label_local.hour >= 14:
        pickup_day = add_business_days(pickup_day, 1)
    pickup_at = max(_at(rng, pickup_day, 15.5, 19), label_at + timedelta(minutes=30))
    earliest = add_business_days(pickup_day, 1)
    two_days = final == S.AVAILABLE_FOR_PICKUP or (final == S.DELIVERED and rng.random() < 0.06)
    if late:
        day = add_business_days(max(promised, earliest), rng.randint(1, 3))
    else:
        day = add_business_days(earliest, rng.randint(0, max(0, _business_days_between(earliest, promised))))
    # The last day whose delivery round is over, so that the journey ends in the past.
    now_local = now.astimezone(ROME)
    cap = now_local.date() if now_local.hour >= 19 else now_local.date() - timedelta(days=1)
    cap = _business_day_on_or_before(cap)
    if two_days:
        cap = _business_day_on_or_before(cap - timedelta(days=1))
    day = max(min(day, cap), earliest)

    depart_at = pickup_at + _hours(rng, 1.5, 4)
    arrived_at = _at(rng, day, 5, 7)
    hubs = rng.randint(1, 2)
    transit = [("pickup", pickup_at), ("depart", depart_at)]
    transit += [("hub", depart_at + (arrived_at - depart_at) * (i + 1) / (hubs + 1)) for i in range(hubs)]
    transit.append(("arrived", arrived_at))
    steps = [("label", label_at)]
    if final == S.IN_TRANSIT:
        reached = [s for s in transit if s[1] <= now - timedelta(minutes=10)] or transit[:1]
        steps += reached if rng.random() < 0.6 else reached[: rng.randint(1, len(reached))]
    elif final in (S.EXCEPTION, S.EXPIRED):
        steps += transit[: rng.randint(1 if final == S.EXCEPTION else 2, len(transit))]
        if final == S.EXCEPTION:
            steps.append(("exception", steps[-1][1] + _hours(rng, 2, 30)))
        else:
            steps.append(("expired", steps[-1][1] + timedelta(days=30, minutes=rng.randint(0, 720))))
    else:
        steps += transit
        steps.append(("ofd", _at(rng, day, 7.5, 9.5)))
        if final == S.ATTEMPT_FAIL:
            steps.append(("attempt_fail", _at(rng, day, 10.5, 17)))
        elif final == S.AVAILABLE_FOR_PICKUP:
            steps.append(("attempt_fail", _at(rng, day, 10.5, 17)))
            steps.append(("pickup_point", _at(rng, add_business_days(day, 1), 9, 12)))
        elif final == S.DELIVERED:
            if two_days:
                next_day = add_business_days(day, 1)
                steps.append(("attempt_fail", _at(rng, day, 10.5, 17)))
                steps.append(("ofd", _at(rng, next_day, 7.5, 9.5)))
                steps.append(("delivered", _at(rng, next_day, 10, 18)))
            else:
                steps.append(("delivered", _at(rng, day, 10, 18.5)))
    times = _fit([t for _, t in steps], placed_at, now, rng)
    return list(zip([s for s, _ in steps], times, strict=True))


def _tracking_number(rng: random.Random, carrier: str) -> str:
    if carrier == "brt":
        return str(rng.randrange(10**13, 10**14))
    if carrier == "gls":
        return f"IT{rng.randrange(10**9, 10**10)}"
    if carrier == "poste":
        return f"3UW{rng.randrange(10**9, 10**10)}"
    if carrier == "sda":
        return str(rng.randrange(10**12, 10**13))
    return str(rng.randrange(10**9, 10**10))


def plan_orders(seed: int, people: list[Person], count: int, now: datetime) -> list[OrderPlan]:
    """`count` orders over the last 180 days, numbered PRM-100001 upward in the order they were placed.

    Each order draws from its own random stream (`OrderPlan.rng`), used again for its shipment and payment.
    """
    rng = substream(seed, "placement")
    today = now.astimezone(ROME).date()
    placed_times = []
    for _ in range(count):
        day = today - timedelta(days=int(180 * rng.random() ** 1.25))
        hour = rng.choices(range(24), weights=ORDER_HOUR_WEIGHTS)[0]
        placed = _local(day, time(hour, rng.randrange(60), rng.randrange(60)))
        if placed > now - timedelta(minutes=10):
            placed = now - timedelta(minutes=rng.randint(10, 600))
        placed_times.append(placed)
    placed_times.sort()
    weights = [p.weight for p in people]
    start = _next_order_number()
    plans = []
    for index, placed in enumerate(placed_times):
        rng = substream(seed, "order", index)
        person = rng.choices(people, weights=weights)[0]
        age = (now - placed) / timedelta(days=1)
        status = pick_order_status(rng, age)
        picked = rng.sample(PRODUCTS, rng.choices([1, 2, 3, 4], weights=[50, 30, 15, 5])[0])
        lines = []
        for sku, name, category, price in picked:
            quantity = rng.choices([1, 2, 3], weights=[80, 16, 4])[0]
            unit = Decimal(price)
            lines.append(
                OrderLine(
                    sku=sku,
                    name=name,
                    category=category,
                    quantity=quantity,
                    unit_price=unit,
                    total=unit * quantity,
                )
            )
        subtotal = sum((line.total for line in lines), Decimal("0.00"))
        if person.country == "GB":
            shipping = Decimal("0.00") if subtotal >= 99 else Decimal("12.90")
        else:
            shipping = Decimal("0.00") if subtotal >= 49 else Decimal("5.90")
        order = Order(
            number=f"PRM-{start + index}",
            customer=person.customer,
            status=status,
            placed_at=placed,
            subtotal=subtotal,
            shipping_total=shipping,
            total=subtotal + shipping,
            email=person.email,
            shipping_name=person.customer.full_name,
            shipping_street=person.street,
            shipping_postcode=person.postcode,
            shipping_city=person.city,
            shipping_province=person.province,
            shipping_country=person.country,
            source=DEMO_SOURCE,
        )
        for line in lines:
            line.order = order
        plan = OrderPlan(order=order, person=person, lines=lines, rng=rng)
        plan.tracking = pick_tracking_status(rng, status, age)
        plans.append(plan)
    cover_tracking_states(plans, now)
    for plan in plans:  # the payment method fits the (final) status
        plan.method = _pick_method(plan.rng, plan.order.status)
    return plans


def _next_order_number() -> int:
    numbers = Order.objects.filter(number__startswith="PRM-").values_list("number", flat=True)
    highest = max((int(n[4:]) for n in numbers if n[4:].isdigit()), default=100000)
    return max(highest, 100000) + 1


def _pick_method(rng: random.Random, status: str) -> str:
    M = PaymentMethod
    if status == OrderStatus.PENDING:
        return M.BANK_TRANSFER if rng.random() < 0.8 else M.CASH_ON_DELIVERY
    table = {M.CARD: 60, M.PAYPAL: 18, M.KLARNA: 8, M.BANK_TRANSFER: 7, M.CASH_ON_DELIVERY: 7}
    if status == OrderStatus.REFUNDED:
        del table[M.CASH_ON_DELIVERY]
    return _weighted(rng, table)


def build_shipment(
    rng: random.Random,
    plan: OrderPlan,
    carriers: dict[str, Carrier],
    used: set[tuple[str, str]],
    now: datetime,
) -> None:
    """The shipment and tracking events of a planned order with a tracking status."""
    order, person = plan.order, plan.person
    code = "dhl" if person.country == "GB" else _weighted(rng, CARRIER_WEIGHTS)
    number = _tracking_number(rng, code)
    while (code, number) in used:
        number = _tracking_number(rng, code)
    used.add((code, number))
    promised = add_business_days(order.placed_at.astimezone(ROME).date(), rng.randint(3, 5))
    late = plan.tracking == TrackingStatus.DELIVERED and rng.random() < 0.06
    steps = tracking_timeline(rng, plan.tracking, order.placed_at, promised, now, late=late)
    places = CARRIER_PLACES[code]
    shipment = Shipment(
        order=order,
        carrier=carriers[code],
        tracking_number=number,
        promised_delivery_date=promised,
        created_at=steps[0][1],
    )
    hubs = rng.sample(places["hubs"], len(places["hubs"]))  # a parcel goes through each hub once
    events = []
    for step, at in steps:
        raw_code, description = rng.choice(RAW_EVENTS[code][step])
        if step in ("pickup", "depart"):
            location = places["origin"]
        elif step == "hub":
            location = hubs.pop()
        elif step == "exception" and rng.random() < 0.5:
            location = hubs[-1]
        elif step in ("arrived", "ofd", "delivered", "attempt_fail", "exception"):
            location = places["local"].format(city=person.city)
        elif step == "pickup_point":
            location = places["point"].format(city=person.city)
        else:
            location = ""
        events.append(
            TrackingEvent(
                shipment=shipment,
                occurred_at=at,
                status=KIND_STATUS[step],
                raw_code=raw_code,
                raw_description=description,
                location=location,
                received_at=min(at + timedelta(minutes=rng.randint(1, 20)), now),
            )
        )
    last = events[-1]
    shipment.status = last.status
    shipment.last_event_at = last.occurred_at
    shipment.shipped_at = next((e.occurred_at for e in events if e.status == TrackingStatus.IN_TRANSIT), None)
    if last.status == TrackingStatus.DELIVERED:
        shipment.delivered_at = last.occurred_at
        delivered_on = last.occurred_at.astimezone(ROME).date()
        shipment.estimated_delivery_date = max(promised, delivered_on)
    elif last.status in (TrackingStatus.ATTEMPT_FAIL, TrackingStatus.AVAILABLE_FOR_PICKUP):
        shipment.estimated_delivery_date = add_business_days(last.occurred_at.astimezone(ROME).date(), 1)
    elif last.status == TrackingStatus.EXCEPTION:
        shipment.estimated_delivery_date = add_business_days(promised, 3)
    elif last.status in (TrackingStatus.EXPIRED, TrackingStatus.PENDING):
        shipment.estimated_delivery_date = None
    else:
        shipment.estimated_delivery_date = promised
    plan.late = shipment.delivered_at is not None and shipment.estimated_delivery_date > promised
    plan.carrier_code, plan.shipment, plan.events = code, shipment, events


def build_payment(rng: random.Random, plan: OrderPlan, refunders: list[Any], now: datetime) -> None:
    """The payment of a planned order (and its refund), in a state consistent with the order."""
    order, method = plan.order, plan.method
    placed, status = order.placed_at, order.status
    M, P = PaymentMethod, PaymentState
    payment = Payment(order=order, method=method, amount=order.total, state=P.PENDING)
    if method == M.CARD:
        payment.provider = "stripe"
        payment.external_id = "pi_" + "".join(
            rng.choices("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789", k=24)
        )
    elif method == M.PAYPAL:
        payment.provider = "paypal"
        payment.external_id = "".join(rng.choices("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", k=17))
    elif method == M.KLARNA:
        payment.provider = "klarna"
        payment.external_id = f"{rng.getrandbits(32):08x}-{rng.getrandbits(16):04x}-{rng.getrandbits(16):04x}"
    authorized = placed + timedelta(seconds=rng.randint(5, 90))
    if method in (M.CARD, M.KLARNA, M.PAYPAL):
        payment.authorized_at = authorized
    shipped_at = plan.shipment.created_at if plan.shipment else None
    delivered_at = plan.shipment.delivered_at if plan.shipment else None
    capture_at = shipped_at or placed + _hours(rng, 1, 20)
    if method == M.PAYPAL:
        capture_at = authorized
    elif method == M.BANK_TRANSFER:
        capture_at = placed + _hours(rng, 18, 40)
        if shipped_at and capture_at > shipped_at:
            capture_at = shipped_at - timedelta(minutes=30)
    capture_at = min(capture_at, now - timedelta(minutes=1))

    if status == OrderStatus.PENDING:
        payment.state = P.PENDING
    elif status == OrderStatus.CANCELLED:
        cancelled = min(placed + _hours(rng, 0.5, 36), placed + (now - placed) * 0.8)
        plan.cancelled_at = cancelled
        payment.state, payment.voided_at = P.VOIDED, cancelled
    elif method == M.CASH_ON_DELIVERY:
        if status == OrderStatus.DELIVERED:
            payment.state, payment.captured_at = P.CAPTURED, delivered_at
        else:
            payment.state = P.PENDING
    elif status == OrderStatus.PAID and method in (M.CARD, M.KLARNA):
        payment.state = P.AUTHORIZED
    else:
        payment.state, payment.captured_at = P.CAPTURED, capture_at
    if status == OrderStatus.REFUNDED:
        payment.state = P.REFUNDED
        plan.refund = _plan_refund(rng, plan, payment, refunders, now)
    plan.payment = payment


def _plan_refund(
    rng: random.Random, plan: OrderPlan, payment: Payment, refunders: list[Any], now: datetime
) -> Refund:
    order, shipment = plan.order, plan.shipment
    if shipment is not None and shipment.delivered_at:
        created, reason = (
            shipment.delivered_at + timedelta(days=rng.uniform(4, 20)),
            "Reso ricevuto in magazzino",
        )
    elif shipment is not None:
        created, reason = (
            shipment.last_event_at + timedelta(days=rng.uniform(2, 6)),
            "Pacco smarrito dal corriere",
        )
    else:
        created = order.placed_at + timedelta(days=rng.uniform(1, 4))
        reason = rng.choice(
            ["Articolo non disponibile", "Annullato su richiesta del cliente dopo l'addebito"]
        )
    if created > now - timedelta(hours=1):
        start = shipment.last_event_at if shipment is not None else order.placed_at
        created = start + (now - start) * rng.uniform(0.5, 0.9)
    refund = Refund(
        order=order,
        payment=payment,
        amount=order.total,
        reason=reason,
        requested_by=rng.choice(refunders) if refunders else None,
        created_at=created,
        expected_arrival_at=created + timedelta(days=10),
        idempotency_key=f"demo-{order.number}-{rng.getrandbits(48):012x}",
    )
    completed = created + timedelta(days=rng.uniform(2, 9))
    if completed < now:
        refund.status, refund.completed_at = RefundStatus.COMPLETED, completed
    else:
        refund.status = RefundStatus.SUBMITTED
    return refund


# --------------------------------------------------------------------------------------------
# Cases and conversations
# --------------------------------------------------------------------------------------------


def _case_trigger(topic: str, plan: OrderPlan, now: datetime) -> datetime | None:
    """When a customer with this order would write about `topic`, or None if the topic does not fit it."""
    order, shipment, S = plan.order, plan.shipment, TrackingStatus
    status = order.status
    if topic == "parcel_late":  # the customer writes once the promised date has passed
        if shipment is None:
            return None
        overdue = _local(add_business_days(shipment.promised_delivery_date, 1), time(10))
        if status == OrderStatus.SHIPPED and plan.tracking != S.PENDING and overdue < now:
            return max(overdue, shipment.last_event_at)
        if status == OrderStatus.DELIVERED and plan.late:
            return overdue
        return None
    if topic == "delivery_failed":
        if status == OrderStatus.SHIPPED and plan.tracking in (S.ATTEMPT_FAIL, S.AVAILABLE_FOR_PICKUP):
            return shipment.last_event_at
        return None
    if topic in ("not_received", "damaged"):
        return shipment.delivered_at if status == OrderStatus.DELIVERED else None
    if topic == "wrong_size":
        if status == OrderStatus.DELIVERED and any(line.category == CLOTHING_CATEGORY for line in plan.lines):
            return shipment.delivered_at
        return None
    if topic == "refund_not_arrived":
        if plan.refund is None:
            return None
        later = plan.refund.created_at + timedelta(days=4)
        return later if later < now else plan.refund.created_at
    if topic == "card_blocked":
        if status == OrderStatus.CANCELLED and plan.method in (PaymentMethod.CARD, PaymentMethod.KLARNA):
            return plan.cancelled_at
        return None
    if topic == "invoice":
        return (
            order.placed_at
            if status in (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED)
            else None
        )
    if topic == "bank_transfer":
        if status == OrderStatus.PENDING and plan.method == PaymentMethod.BANK_TRANSFER:
            return order.placed_at
        return None
    if topic == "change_address":
        return order.placed_at if status in (OrderStatus.PENDING, OrderStatus.PAID) else None
    return None


def _case_context(
    rng: random.Random, person: Person, plan: OrderPlan | None, carriers: dict[str, Carrier], now: datetime
) -> dict[str, str]:
    """The values the topic texts are filled in with."""
    lang = person.language
    ticket = f"{rng.choice('ABCDEFGHKLMNPRSTUVZ')}{rng.randint(10**7, 10**8 - 1)}"
    if lang == "it":
        company = f"{person.customer.full_name.split()[-1]} {rng.choice(['S.r.l.', 'S.n.c.', '& C. S.a.s.'])}"
        vat = f"IT{rng.randint(10**10, 10**11 - 1)}"
    else:
        company = f"{person.customer.full_name.split()[-1]} {rng.choice(['Ltd', '& Co Ltd', 'Design Ltd'])}"
        vat = f"GB{rng.randint(10**8, 10**9 - 1)}"
    street_name, _, civic = person.street.rpartition(" ")
    new_civic = str(int(civic) + rng.randint(1, 9)) if civic.isdigit() else "12"
    context = {
        "first": person.first_name,
        "full": person.customer.full_name,
        "email": person.email,
        "city": person.city,
        "street": person.street,
        "postcode": person.postcode,
        "civic": new_civic,
        "street_fixed": f"{street_name} {new_civic}"
        if person.country == "IT"
        else f"{new_civic} {person.street.partition(' ')[2]}",
        "ticket": ticket,
        "last4": f"{rng.randint(0, 9999):04d}",
        "company": company,
        "vat": vat,
        "sdi": "".join(rng.choices("ABCDEFGHKLMNPRSTUVWXYZ0123456789", k=7)),
        "invoice": f"{rng.randint(100, 999)}/{now.year}",
        "product": rng.choice(PRODUCTS)[1],
        "number": "",
        "placed": "",
        "promised": "",
        "carrier": "",
        "tracking": "",
        "tracking_url": "",
        "amount": "",
        "refund_date": "",
    }
    if plan is not None:
        order = plan.order
        context["number"] = order.number
        context["placed"] = _date_text(order.placed_at.astimezone(ROME).date(), lang)
        context["amount"] = format_money(order.total, order.currency, lang)
        clothing = [line.name for line in plan.lines if line.category == CLOTHING_CATEGORY]
        context["product"] = clothing[0] if clothing else rng.choice(plan.lines).name
        if plan.shipment is not None:
            carrier = carriers[plan.carrier_code]
            context["carrier"] = carrier.name
            context["tracking"] = plan.shipment.tracking_number
            context["tracking_url"] = carrier.tracking_url_template.replace(
                "{tracking_number}", plan.shipment.tracking_number
            )
            context["promised"] = _date_text(plan.shipment.promised_delivery_date, lang)
        if plan.refund is not None:
            context["refund_date"] = _date_text(plan.refund.created_at.astimezone(ROME).date(), lang)
    return context


def pick_case_status(rng: random.Random, topic: Topic, age_days: float) -> str:
    """A case status that fits how old the case is."""
    C = CaseStatus
    if age_days < 1:
        table = {C.NEW: 55, C.OPEN: 25, "waiting": 15, C.SOLVED: 5}
    elif age_days < 4:
        table = {C.NEW: 15, C.OPEN: 30, "waiting": 35, C.SOLVED: 20}
    elif age_days < 14:
        table = {C.OPEN: 15, "waiting": 30, C.SOLVED: 40, C.CLOSED: 15}
    else:
        table = {C.OPEN: 3, "waiting": 7, C.SOLVED: 25, C.CLOSED: 65}
    status = _weighted(rng, table)
    if status == "waiting":
        status = topic.waits_on if rng.random() < 0.8 else C.WAITING_ON_CUSTOMER
    return status


def cover_case_statuses(plans: list[CasePlan]) -> None:
    """Make sure every case status appears at least once, when there are enough cases."""
    for status in CaseStatus.values:
        counts = Counter(p.case.status for p in plans)
        if counts[status]:
            continue
        pool = [p for p in plans if counts[p.case.status] > 1]
        if not pool:
            return
        fitting = [p for p in pool if p.topic.waits_on == status]
        (fitting or pool)[-1].case.status = status


def case_script(rng: random.Random, status: str) -> list[str]:
    """The steps of a conversation that leaves a case in `status`."""
    C = CaseStatus
    if status == C.NEW:
        return ["open", "nudge"] if rng.random() < 0.25 else ["open"]
    if status == C.OPEN:
        return rng.choice([["open"], ["open", "ask", "answer"], ["open", "hold", "nudge"]])
    if status == C.WAITING_ON_CUSTOMER:
        return ["open", "ask"]
    if status in (C.WAITING_ON_CARRIER, C.WAITING_ON_BANK):
        return ["open", "hold"]
    roll = rng.random()
    middle = ["ask", "answer"] if roll < 0.4 else ["hold"] if roll < 0.7 else []
    steps = ["open", *middle, "solution"]
    if status == C.CLOSED and rng.random() < 0.7:
        steps.append("thanks")
    return steps


STEP_DELAY_HOURS = {
    "nudge": (24, 80),
    "ask": (0.25, 20),
    "hold": (0.25, 20),
    "solution": (0.5, 30),
    "answer": (0.5, 40),
    "thanks": (0.3, 24),
    "note": (0.05, 3),
}


def plan_cases(
    rng: random.Random,
    count: int,
    people: list[Person],
    orders: list[OrderPlan],
    teams: dict[str, Team],
    agents: dict[str, Agent],
    carriers: dict[str, Carrier],
    now: datetime,
) -> list[CasePlan]:
    """`count` cases, most about one of the customer's orders, with their conversations."""
    eligible: dict[str, list[tuple[OrderPlan, datetime]]] = {}
    for topic in TOPICS:
        if topic.needs_order:
            eligible[topic.key] = [
                (p, t) for p in orders if (t := _case_trigger(topic.key, p, now)) is not None
            ]
    topic_weights = [t.weight for t in TOPICS]
    taken: set[int] = set()  # one case per order
    plans: list[CasePlan] = []
    for _ in range(count):
        topic = rng.choices(TOPICS, weights=topic_weights)[0]
        plan, trigger = None, None
        for _attempt in range(10):
            if not topic.needs_order:
                break
            pool = eligible[topic.key]
            pool[:] = [pair for pair in pool if id(pair[0]) not in taken]
            if pool:
                recency = [1 + 8 * math.exp(-((now - t) / timedelta(days=1)) / 14) for _, t in pool]
                plan, trigger = pool.pop(rng.choices(range(len(pool)), weights=recency)[0])
                taken.add(id(plan))
                break
            topic = rng.choices(TOPICS, weights=topic_weights)[0]
        if topic.needs_order and plan is None:
            topic = rng.choice([t for t in TOPICS if not t.needs_order])
        person = plan.person if plan is not None else rng.choice(people)
        plans.append(_new_case_plan(rng, topic, person, plan, trigger, teams, carriers, now))
    _ensure_both_languages(rng, plans, people, teams, carriers, now)
    cover_case_statuses(plans)
    for case_plan in plans:
        case_plan.script = case_script(rng, case_plan.case.status)
    _assign_owners(rng, plans, agents)
    for case_plan in plans:
        _write_conversation(rng, case_plan, agents, now)
    return plans


def _new_case_plan(
    rng: random.Random,
    topic: Topic,
    person: Person,
    plan: OrderPlan | None,
    trigger: datetime | None,
    teams: dict[str, Team],
    carriers: dict[str, Carrier],
    now: datetime,
) -> CasePlan:
    if trigger is None:
        created = now - timedelta(days=120 * rng.random() ** 2, minutes=rng.randint(5, 600))
        since = person.customer.created_at
        if created < since:
            created = since + (now - since) * rng.uniform(0.1, 0.9)
    else:
        trigger = min(trigger, now - timedelta(minutes=30))
        created = trigger + _hours(rng, 0.5, 48)
        if created > now - timedelta(minutes=5):
            created = trigger + (now - trigger) * rng.uniform(0.3, 0.9)
    language = person.language
    channel = _weighted(
        rng, {Channel.EMAIL: 65, Channel.WEB_FORM: 17, Channel.WHATSAPP: 20, Channel.PHONE: 6}
    )
    if channel == Channel.WHATSAPP and not person.whatsapp:
        channel = Channel.EMAIL
    if channel == Channel.PHONE and not person.phone:
        channel = Channel.WEB_FORM
    context = _case_context(rng, person, plan, carriers, now)
    texts = topic.it if language == "it" else topic.en
    priority = _weighted(rng, {Priority.LOW: 12, Priority.NORMAL: 60, Priority.HIGH: 22, Priority.URGENT: 6})
    bump = person.customer.tier == Tier.VIP or (
        topic.key in ("damaged", "not_received") and rng.random() < 0.3
    )
    if bump and priority in (Priority.LOW, Priority.NORMAL):
        priority = Priority.HIGH
    age = (now - created) / timedelta(days=1)
    case = Case(
        subject=rng.choice(texts["subject"]).format(**context)[:200],
        customer=person.customer,
        order=plan.order if plan is not None else None,
        status=pick_case_status(rng, topic, age),
        priority=priority,
        channel=channel,
        language=language,
        team=teams[topic.team],
        created_at=created,
        last_activity_at=created,
    )
    return CasePlan(case=case, person=person, topic=topic, context=context)


def _ensure_both_languages(
    rng: random.Random,
    plans: list[CasePlan],
    people: list[Person],
    teams: dict[str, Team],
    carriers: dict[str, Carrier],
    now: datetime,
) -> None:
    """With two cases or more, at least one in Italian and one in English (given customers of each)."""
    if len(plans) < 2:
        return
    for language in ("it", "en"):
        if any(p.case.language == language for p in plans):
            continue
        speakers = [p for p in people if p.language == language]
        if not speakers:
            continue
        topic = rng.choice([t for t in TOPICS if not t.needs_order])
        plans[-1] = _new_case_plan(rng, topic, rng.choice(speakers), None, None, teams, carriers, now)


def _assign_owners(rng: random.Random, plans: list[CasePlan], agents: dict[str, Agent]) -> None:
    """Owners for the cases: all solved ones are owned; about 20% of the unsolved ones wait in a queue."""
    by_team: dict[int, list[Agent]] = {}
    for agent in agents.values():
        by_team.setdefault(agent.team_id, []).append(agent)
    everyone = list(agents.values())
    for plan in plans:
        members = by_team.get(plan.case.team_id) or everyone
        plan.owner = rng.choice(members) if rng.random() < 0.85 else rng.choice(everyone)
    unsolved = [p for p in plans if p.case.status not in (CaseStatus.SOLVED, CaseStatus.CLOSED)]
    unsolved.sort(
        key=lambda p: (bool(AGENT_STEPS & set(p.script)), p.case.status != CaseStatus.NEW, rng.random())
    )
    for plan in unsolved[: round(len(unsolved) * 0.2)]:
        plan.owner = None


def _write_conversation(rng: random.Random, plan: CasePlan, agents: dict[str, Agent], now: datetime) -> None:
    """The case's messages, timestamps, and when it was assigned."""
    case, person, topic, context = plan.case, plan.person, plan.topic, plan.context
    lang = case.language
    texts = topic.it if lang == "it" else topic.en
    steps = list(plan.script)
    has_agent = any(s in AGENT_STEPS for s in steps)
    waiting_on_others = case.status in (CaseStatus.WAITING_ON_CARRIER, CaseStatus.WAITING_ON_BANK)
    if has_agent and (waiting_on_others or rng.random() < 0.3):
        first_agent = next(i for i, s in enumerate(steps) if s in AGENT_STEPS)
        steps.insert(first_agent + 1, "note")
    times = [case.created_at]
    for step in steps[1:]:
        low, high = STEP_DELAY_HOURS[step]
        at = times[-1] + _hours(rng, low, high)
        times.append(at if step in CUSTOMER_STEPS else _working_time(rng, at))
    times = _fit(times, case.created_at, now, rng)
    author = plan.owner or rng.choice(
        [a for a in agents.values() if a.team_id == case.team_id] or list(agents.values())
    )
    greeting_first = {"first": person.first_name, "full": person.customer.full_name}
    messages = []
    for step, at in zip(steps, times, strict=True):
        if step in CUSTOMER_STEPS:
            if step == "open":
                text = rng.choice(texts["open"]).format(**context)
            elif step == "nudge":
                text = rng.choice(NUDGES[lang])
            elif step == "thanks":
                text = rng.choice(THANKS[lang])
            else:
                text = rng.choice(texts[step]).format(**context)
            if case.channel == Channel.EMAIL and step in ("open", "nudge", "answer"):
                greeting = rng.choice(CUSTOMER_GREETINGS[lang])
                sign_off = rng.choice(CUSTOMER_SIGN_OFFS[lang]).format(**greeting_first)
                text = f"{greeting}\n\n{text}\n\n{sign_off}"
            messages.append(
                Message(
                    case=case,
                    direction=Direction.INBOUND,
                    channel=case.channel,
                    author_customer=person.customer,
                    author_name=person.customer.full_name,
                    body=text,
                    created_at=at,
                )
            )
        elif step == "note":
            text = rng.choice(topic.notes).format(**context)
            messages.append(
                Message(
                    case=case,
                    direction=Direction.OUTBOUND,
                    channel=case.channel,
                    is_internal=True,
                    author_agent=author,
                    author_name=author.display_name,
                    body=text,
                    created_at=at,
                )
            )
        else:
            text = rng.choice(texts[step]).format(**context)
            greeting = rng.choice(AGENT_GREETINGS[lang]).format(**greeting_first)
            sign_off = rng.choice(AGENT_SIGN_OFFS[lang])
            body = f"{greeting}\n\n{text}\n\n{sign_off}\n{author.signature}"
            channel = Channel.EMAIL if case.channel == Channel.PHONE else case.channel
            if channel == Channel.WHATSAPP:
                body = f"{greeting} {text}\n\n{author.signature}"
            messages.append(
                Message(
                    case=case,
                    direction=Direction.OUTBOUND,
                    channel=channel,
                    author_agent=author,
                    author_name=author.display_name,
                    body=body,
                    created_at=at,
                )
            )
    plan.messages = messages
    case.last_activity_at = messages[-1].created_at
    # bulk_create skips Case.save(), which derives the phase from the status.
    case.phase = phase_of(case.status)
    solution = next((m for s, m in zip(steps, messages, strict=True) if s == "solution"), None)
    case.solved_at = solution.created_at if solution is not None else None
    case.owner = plan.owner
    if plan.owner is not None:
        first_agent_at = next((m.created_at for m in messages if m.direction == Direction.OUTBOUND), None)
        end = first_agent_at or min(case.created_at + _hours(rng, 0.1, 4), now)
        plan.assigned_at = case.created_at + (end - case.created_at) * rng.uniform(0.1, 0.7)


# --------------------------------------------------------------------------------------------
# Loading and wiping
# --------------------------------------------------------------------------------------------


def is_demo_loaded() -> bool:
    """Whether the demo shop is in the database (its agents or its orders exist)."""
    return (
        Agent.objects.filter(user__username__in=DEMO_USERNAMES).exists()
        or Order.objects.filter(source=DEMO_SOURCE).exists()
    )


def _demo_customers() -> Any:
    emails = Q()
    for domain in DEMO_EMAIL_DOMAINS:
        emails |= Q(identities__kind=IdentityKind.EMAIL, identities__value__endswith=f"@{domain}")
    return Customer.objects.filter(Q(orders__source=DEMO_SOURCE) | emails).values("pk").distinct()


def wipe_demo() -> None:
    """Delete the demo shop's customers (with their orders and cases) and the demo logins.

    Teams and carriers stay: they are configuration, and the next load reuses them.
    """
    with transaction.atomic():
        customer_ids = list(_demo_customers().values_list("pk", flat=True))
        case_ids = list(Case.objects.filter(customer_id__in=customer_ids).values_list("pk", flat=True))
        AuditEvent.objects.filter(
            subject_type=ContentType.objects.get_for_model(Case), subject_id__in=case_ids
        ).delete()
        Case.objects.filter(pk__in=case_ids).delete()
        Order.objects.filter(Q(customer_id__in=customer_ids) | Q(source=DEMO_SOURCE)).delete()
        Customer.objects.filter(pk__in=customer_ids).delete()
        get_user_model().objects.filter(username__in=DEMO_USERNAMES).delete()


def load_demo(
    customers: int = 400,
    orders: int = 1000,
    cases: int = 300,
    seed: int = DEFAULT_SEED,
    now: datetime | None = None,
    force: bool = False,
) -> DemoSummary:
    """Load the demo shop in one transaction (after wiping the previous one when `force`)."""
    if orders and not customers:
        raise ValueError("orders need at least one customer")
    if cases and not customers:
        raise ValueError("cases need at least one customer")
    now = (now or timezone.now()).astimezone(UTC)
    summary = DemoSummary()
    with transaction.atomic():
        if force:
            wipe_demo()
        configure_shop(**DEMO_SHOP)
        teams = ensure_teams()
        agents = ensure_agents(teams)
        carriers = ensure_carriers()
        summary.agents = [a.username for a in DEMO_AGENTS]

        people = plan_customers(substream(seed, "customers"), customers, now)
        order_plans = plan_orders(seed, people, orders, now) if people else []
        used_numbers = set(Shipment.objects.values_list("carrier__code", "tracking_number"))
        refunders = [a.user for a in agents.values() if a.team_id == teams["resi-e-rimborsi"].pk]
        for plan in order_plans:
            if plan.tracking:
                build_shipment(plan.rng, plan, carriers, used_numbers, now)
            build_payment(plan.rng, plan, refunders, now)
        # A customer exists before their first order.
        rng = substream(seed, "customers", "since")
        first_order: dict[int, datetime] = {}
        for plan in order_plans:
            key = id(plan.person)
            first_order[key] = min(first_order.get(key, plan.order.placed_at), plan.order.placed_at)
        for person in people:
            first = first_order.get(id(person))
            if first is not None and person.customer.created_at > first:
                person.customer.created_at = first - timedelta(
                    days=rng.uniform(0, 400), minutes=rng.randint(1, 600)
                )
            if person.customer.marketing_consent:
                person.customer.marketing_consent_at = min(
                    person.customer.created_at + timedelta(days=rng.uniform(0, 30)), now
                )

        Customer.objects.bulk_create([p.customer for p in people])
        identities = [i for p in people for i in customer_identities(p)]
        CustomerIdentity.objects.bulk_create(identities)
        Order.objects.bulk_create([p.order for p in order_plans])
        OrderLine.objects.bulk_create([line for p in order_plans for line in p.lines])
        Payment.objects.bulk_create([p.payment for p in order_plans])
        Refund.objects.bulk_create([p.refund for p in order_plans if p.refund])
        Shipment.objects.bulk_create([p.shipment for p in order_plans if p.shipment])
        TrackingEvent.objects.bulk_create([e for p in order_plans for e in p.events])

        case_plans = (
            plan_cases(substream(seed, "cases"), cases, people, order_plans, teams, agents, carriers, now)
            if people
            else []
        )
        Case.objects.bulk_create([p.case for p in case_plans])
        Message.objects.bulk_create([m for p in case_plans for m in p.messages])
        admin = agents["admin"].user
        audit_events = 0
        for plan in case_plans:
            if plan.owner is None:
                continue
            event = record_event(
                plan.case, "case.assigned", actor=admin, owner=plan.owner.display_name, owner_id=plan.owner.pk
            )
            AuditEvent.objects.filter(pk=event.pk).update(created_at=plan.assigned_at)
            audit_events += 1

    summary.customers = len(people)
    summary.identities = len(identities)
    summary.orders = len(order_plans)
    summary.payments = len(order_plans)
    summary.refunds = sum(1 for p in order_plans if p.refund)
    summary.shipments = sum(1 for p in order_plans if p.shipment)
    summary.tracking_events = sum(len(p.events) for p in order_plans)
    summary.cases = len(case_plans)
    summary.messages = sum(len(p.messages) for p in case_plans)
    summary.audit_events = audit_events
    return summary
