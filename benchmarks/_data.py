"""The desk that benchmarks/inbox_scale.py loads: N cases shaped as /work/shared/benchmarks.md says.

Rows are plain tuples in the column order of the INSERT statements below, so that the loader can
hand them to sqlite3's executemany without the ORM. Ids are assigned here (1, 2, 3…), in the order
of creation time, as a live desk would have them.
"""

import json
import math
import random
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

DAY = 86400.0
WINDOW_DAYS = 730

# ---------------------------------------------------------------------------------------------
# Reference data
# ---------------------------------------------------------------------------------------------

# (slug, name, weight): the five queues; a case's team is its queue.
TEAMS = [
    ("ordini", "Ordini e spedizioni", 35),
    ("resi", "Resi e rimborsi", 25),
    ("pagamenti", "Pagamenti", 15),
    ("prodotti", "Prodotti", 15),
    ("account", "Account", 10),
]
QUEUES = [slug for slug, _, _ in TEAMS]
QUEUE_WEIGHTS = [w for _, _, w in TEAMS]

AGENT_COUNT = 30
AGENT_NAMES = [
    "Giulia Bianchi",
    "Marco Rossi",
    "Francesca Romano",
    "Luca Colombo",
    "Chiara Ricci",
    "Alessandro Marino",
    "Sara Greco",
    "Matteo Bruno",
    "Valentina Gallo",
    "Davide Conti",
    "Elena De Luca",
    "Simone Mancini",
    "Martina Costa",
    "Andrea Giordano",
    "Federica Rizzo",
    "Lorenzo Lombardi",
    "Silvia Moretti",
    "Stefano Barbieri",
    "Alessia Fontana",
    "Paolo Santoro",
    "Ilaria Mariani",
    "Riccardo Rinaldi",
    "Giorgia Caruso",
    "Fabio Ferrara",
    "Laura Galli",
    "Tommaso Martini",
    "Beatrice Leone",
    "Emanuele Longo",
    "Camilla Gentile",
    "Nicola Martinelli",
]
# Agent k (1-based) owns cases with weight 1/k^0.3: a mildly skewed load.
AGENT_WEIGHTS = [1 / k**0.3 for k in range(1, AGENT_COUNT + 1)]
UNASSIGNED_SHARE = 0.20  # of the cases not yet solved

# (code, name, tracking number prefix, digits)
CARRIERS = [
    ("brt", "BRT", "0840", 8),
    ("gls", "GLS", "ML", 9),
    ("sda", "SDA", "SD", 10),
    ("poste", "Poste Italiane", "PI", 11),
    ("dhl", "DHL", "JD0140", 8),
]
CARRIER_WEIGHTS = [32, 24, 16, 16, 12]

# 30 products: (name, price, category). The rare product below is not one of them.
CATALOGUE = [
    ("Zaino da trekking 30L", 59.90, "Outdoor"),
    ("Borraccia termica 750 ml", 24.90, "Outdoor"),
    ("Moka Express 6 tazze", 34.90, "Cucina"),
    ("Lampada da scrivania LED", 39.90, "Casa"),
    ("Tenda da campeggio 2 posti", 129.00, "Outdoor"),
    ("Sacco a pelo Comfort", 79.90, "Outdoor"),
    ("Scarponi da montagna Gore-Tex", 149.00, "Calzature"),
    ("Giacca antipioggia leggera", 89.90, "Abbigliamento"),
    ("Set pentole antiaderenti 5 pezzi", 99.90, "Cucina"),
    ("Coltello da chef 20 cm", 44.90, "Cucina"),
    ("Tagliere in legno d'ulivo", 29.90, "Cucina"),
    ("Macinacaffè manuale", 49.90, "Cucina"),
    ("Cuffie wireless Bluetooth", 69.90, "Elettronica"),
    ("Powerbank 20000 mAh", 34.90, "Elettronica"),
    ("Orologio sportivo GPS", 199.00, "Elettronica"),
    ("Bicchieri in vetro soffiato", 39.90, "Casa"),
    ("Plaid in lana merino", 74.90, "Casa"),
    ("Cuscino memory foam", 45.90, "Casa"),
    ("Asciugamani in lino", 32.90, "Casa"),
    ("Candela profumata al fico", 19.90, "Casa"),
    ("Occhiali da sole polarizzati", 59.00, "Abbigliamento"),
    ("Bastoncini da trekking in carbonio", 89.00, "Outdoor"),
    ("Fornello da campo compatto", 54.90, "Outdoor"),
    ("Thermos per alimenti 500 ml", 27.90, "Cucina"),
    ("Tappetino yoga antiscivolo", 35.90, "Sport"),
    ("Set valigie trolley", 179.00, "Viaggio"),
    ("Ombrello antivento", 24.90, "Viaggio"),
    ("Portafoglio in pelle", 49.90, "Abbigliamento"),
    ("Zanzariera da viaggio", 22.90, "Viaggio"),
    ("Lampada frontale ricaricabile", 29.90, "Outdoor"),
]
# Occurs in 0.1% of the cases (in their messages), and nowhere else: the search benchmark's word.
RARE_WORD = "Lucciolix"
RARE_PRODUCT = (f"Lanterna solare {RARE_WORD}", 44.90, "Outdoor")
RARE_EVERY = 1000  # one case in RARE_EVERY

CHANNELS = ["email", "web_form", "chat", "whatsapp", "messenger", "instagram"]
CHANNEL_WEIGHTS = [55, 15, 10, 12, 4, 4]
PRIORITIES = ["normal", "low", "high", "urgent"]
PRIORITY_WEIGHTS = [80, 5, 12, 3]

# Statuses of the cases still in progress (P(active | age) below), and how they split.
ACTIVE_STATUSES = ["new", "open", "waiting_on_customer", "waiting_on_carrier", "waiting_on_bank"]
ACTIVE_WEIGHTS = [15, 45, 25, 10, 5]
# Case.phase of each status (premura.conversations.models.phase_of; this module stays Django-free).
PHASES = {
    "new": "open",
    "open": "open",
    "waiting_on_customer": "waiting",
    "waiting_on_carrier": "waiting",
    "waiting_on_bank": "waiting",
    "solved": "done",
    "closed": "done",
}

# Messages per case (1..5), mean ≈ 3.
MESSAGE_COUNTS = [1, 2, 3, 4, 5]
MESSAGE_COUNT_WEIGHTS = [10, 25, 30, 20, 15]

# Share of cases of each queue that concern an order.
ORDER_SHARE = {"ordini": 1.0, "resi": 1.0, "pagamenti": 0.9, "prodotti": 0.5, "account": 0.0}

IT_FIRST = [
    "Anna",
    "Bruno",
    "Carla",
    "Daniele",
    "Elisa",
    "Fabrizio",
    "Gabriella",
    "Giovanni",
    "Irene",
    "Jacopo",
    "Lucia",
    "Massimo",
    "Nadia",
    "Oscar",
    "Patrizia",
    "Roberto",
    "Serena",
    "Tiziana",
    "Umberto",
    "Vittoria",
    "Alberto",
    "Benedetta",
    "Cristina",
    "Dario",
    "Enrico",
    "Franca",
    "Giacomo",
    "Ilaria",
    "Leonardo",
    "Monica",
    "Nicolò",
    "Ornella",
    "Piero",
    "Rita",
    "Sofia",
    "Teresa",
    "Valerio",
    "Wanda",
    "Zeno",
    "Aurora",
]
IT_LAST = [
    "Rossi",
    "Russo",
    "Ferrari",
    "Esposito",
    "Bianchi",
    "Romano",
    "Colombo",
    "Ricci",
    "Marino",
    "Greco",
    "Bruno",
    "Gallo",
    "Conti",
    "De Luca",
    "Mancini",
    "Costa",
    "Giordano",
    "Rizzo",
    "Lombardi",
    "Moretti",
    "Barbieri",
    "Fontana",
    "Santoro",
    "Mariani",
    "Rinaldi",
    "Caruso",
    "Ferrara",
    "Galli",
    "Martini",
    "Leone",
    "Longo",
    "Gentile",
    "Martinelli",
    "Vitale",
    "Lombardo",
    "Serra",
    "Coppola",
    "De Santis",
    "D'Angelo",
    "Marchetti",
    "Parisi",
    "Villa",
    "Conte",
    "Ferraro",
    "Ferri",
    "Fabbri",
    "Bianco",
    "Marini",
    "Grasso",
    "Valentini",
]
EN_FIRST = [
    "James",
    "Mary",
    "Oliver",
    "Emma",
    "Harry",
    "Charlotte",
    "George",
    "Amelia",
    "Jack",
    "Olivia",
    "Thomas",
    "Sophie",
    "William",
    "Grace",
    "Daniel",
    "Emily",
    "Samuel",
    "Lucy",
    "Henry",
    "Isabel",
    "Michael",
    "Hannah",
    "David",
    "Chloe",
    "Peter",
    "Alice",
    "Robert",
    "Ruth",
    "Paul",
    "Laura",
]
EN_LAST = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Miller",
    "Harris",
    "Lewis",
    "Young",
    "King",
    "Baker",
    "Carter",
    "Turner",
    "Morris",
    "Cooper",
    "O'Brien",
    "Murphy",
    "Kelly",
    "Ward",
    "Hughes",
    "Edwards",
    "Bennett",
    "Hill",
    "Moore",
    "Scott",
]
EMAIL_DOMAINS = [
    "gmail.com",
    "libero.it",
    "hotmail.it",
    "yahoo.it",
    "outlook.com",
    "tiscali.it",
    "icloud.com",
]
EN_EMAIL_DOMAINS = [
    "gmail.com",
    "outlook.com",
    "hotmail.co.uk",
    "yahoo.co.uk",
    "icloud.com",
    "btinternet.com",
]
CITIES = [
    ("Milano", "20121", "MI"),
    ("Roma", "00184", "RM"),
    ("Torino", "10121", "TO"),
    ("Napoli", "80132", "NA"),
    ("Bologna", "40121", "BO"),
    ("Firenze", "50122", "FI"),
    ("Genova", "16121", "GE"),
    ("Bari", "70121", "BA"),
    ("Verona", "37121", "VR"),
    ("Padova", "35121", "PD"),
    ("Trento", "38122", "TN"),
    ("Palermo", "90133", "PA"),
]
STREETS = [
    "Via Roma",
    "Via Garibaldi",
    "Corso Italia",
    "Via Mazzini",
    "Via Dante",
    "Piazza Duomo",
    "Via Verdi",
]
IT_MONTHS = [
    "gennaio",
    "febbraio",
    "marzo",
    "aprile",
    "maggio",
    "giugno",
    "luglio",
    "agosto",
    "settembre",
    "ottobre",
    "novembre",
    "dicembre",
]
EN_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]

# ---------------------------------------------------------------------------------------------
# Text templates. Placeholders: {order} {product} {carrier} {tracking} {amount} {date} {email}.
# ---------------------------------------------------------------------------------------------

SUBJECTS = {
    "it": {
        "ordini": [
            "Ordine {order} non ancora arrivato",
            "Spedizione {carrier} ferma da giorni",
            "Pacco danneggiato, ordine {order}",
            "Cambio indirizzo di consegna urgente",
            "Dov'è il mio ordine {order}?",
            "Consegna {carrier} mai avvenuta",
        ],
        "resi": [
            "Richiesta di reso ordine {order}",
            "Rimborso del reso non ancora ricevuto",
            "Richiesta reso per {product}",
            "Rimborso ordine {order} in ritardo",
            "Come faccio a restituire un articolo?",
        ],
        "pagamenti": [
            "Doppio addebito ordine {order}",
            "Pagamento rifiutato ma importo addebitato",
            "Fattura per l'ordine {order}",
            "Informazioni sul bonifico bancario",
        ],
        "prodotti": [
            "Problema con {product}",
            "Prodotto mancante nel pacco ricevuto",
            "Domanda su {product}",
            "Garanzia {product}",
        ],
        "account": [
            "Non riesco ad accedere al mio account",
            "Richiesta cancellazione account",
            "Cambio indirizzo e-mail del profilo",
            "Password dimenticata, link non arriva",
        ],
    },
    "en": {
        "ordini": [
            "Order {order} has not arrived",
            "{carrier} parcel stuck for days",
            "Damaged parcel, order {order}",
            "Urgent change of delivery address",
            "Where is my order {order}?",
            "{carrier} delivery never came",
        ],
        "resi": [
            "Return request for order {order}",
            "Refund for my return not received yet",
            "I want to return {product}",
            "Refund for order {order} is late",
            "How do I return an item I bought?",
        ],
        "pagamenti": [
            "Charged twice for order {order}",
            "Payment declined but money taken",
            "Invoice for order {order}",
            "Question about bank transfer",
        ],
        "prodotti": [
            "Problem with {product}",
            "An item is missing from my parcel",
            "Question about {product}",
            "Warranty for {product}",
        ],
        "account": [
            "I cannot log in to my account",
            "Please delete my account",
            "Change the e-mail on my profile",
            "Password reset link never arrives",
        ],
    },
}

# Opening messages: with an order ("order") and, for products and account, without one ("none").
OPENINGS = {
    "it": {
        "ordini": [
            "ho fatto l'ordine {order} il {date} ma il pacco non è ancora arrivato. Il tracking {carrier} "
            "{tracking} è fermo da giorni. Dentro c'è {product}, potete verificare?",
            "il corriere {carrier} risulta in consegna da tre giorni per l'ordine {order} ({product}), "
            "ma a casa non è passato nessuno. Codice di tracciamento {tracking}.",
            "vorrei sapere quando verrà spedito l'ordine {order} con {product}. Ho pagato {amount} il {date} "
            "e non ho ancora ricevuto il codice di tracciamento.",
            "il pacco dell'ordine {order} è arrivato danneggiato: la confezione di {product} era aperta. "
            "Il corriere era {carrier}, tracking {tracking}.",
        ],
        "resi": [
            "vorrei restituire {product} dell'ordine {order} del {date}: non è come nelle foto. Come posso "
            "fare il reso?",
            "ho spedito il reso dell'ordine {order} con {carrier} ({tracking}) il {date}, ma non ho ancora "
            "ricevuto il rimborso di {amount} per {product}.",
            "{product} non corrisponde alla descrizione. Chiedo il rimborso di {amount} per l'ordine "
            "{order}, consegnato da {carrier} il {date}.",
        ],
        "pagamenti": [
            "mi avete addebitato due volte {amount} per l'ordine {order} del {date} ({product}). Potete "
            "controllare e stornare il secondo addebito?",
            "il pagamento con PayPal dell'ordine {order} risulta rifiutato, ma l'importo di {amount} è "
            "bloccato sulla carta dal {date}. Avevo ordinato {product}.",
            "mi serve la fattura dell'ordine {order} del {date}, importo {amount}, intestata alla mia "
            "azienda. L'ordine conteneva {product}.",
        ],
        "prodotti": [
            "{product} ricevuto con l'ordine {order} non funziona già dal primo giorno. L'ho ricevuto il "
            "{date} con {carrier}, pagato {amount}.",
            "nell'ordine {order} manca {product}: nel pacco {carrier} {tracking} c'era solo la fattura da "
            "{amount}. Come procediamo?",
        ],
        "pagamenti-none": [
            "accettate pagamenti con Klarna in tre rate? Vorrei ordinare {product} a {amount}, ma la mia "
            "carta viene rifiutata dal {date}. Posso pagare con bonifico?",
        ],
        "prodotti-none": [
            "{product} è ancora disponibile? Vorrei riceverlo entro il {date}, possibilmente con {carrier}. "
            "Il prezzo è sempre {amount}?",
            "che garanzia ha {product}? A {amount} mi aspetto almeno due anni. Se lo ordino oggi arriva "
            "entro il {date}?",
        ],
        "account-none": [
            "non riesco ad accedere al mio account con l'indirizzo {email}: il link per reimpostare la "
            "password non arriva, nemmeno nello spam. Ho provato anche il {date}.",
            "vorrei cancellare il mio account e tutti i miei dati personali (indirizzo {email}), come "
            "previsto dal GDPR. Attendo conferma scritta.",
            "ho cambiato indirizzo e-mail, potete aggiornare il mio profilo? Quello vecchio è {email} e non "
            "lo uso più dal {date}.",
        ],
    },
    "en": {
        "ordini": [
            "I placed order {order} on {date} but the parcel has not arrived. The {carrier} tracking "
            "{tracking} "
            "has not moved for days. It contains {product}, can you check?",
            "{carrier} shows order {order} ({product}) as out for delivery for three days now, but nobody "
            "came. Tracking code {tracking}.",
            "when will order {order} with {product} be shipped? I paid {amount} on {date} and still have no "
            "tracking code.",
            "the parcel for order {order} arrived damaged: the box of {product} was open. The courier was "
            "{carrier}, tracking {tracking}.",
        ],
        "resi": [
            "I would like to return {product} from order {order} of {date}: it does not look like the "
            "pictures. How do I send it back?",
            "I sent the return for order {order} with {carrier} ({tracking}) on {date}, but I have not "
            "received the refund of {amount} for {product} yet.",
            "{product} is not as described. I am asking for a refund of {amount} for order {order}, "
            "delivered by {carrier} on {date}.",
        ],
        "pagamenti": [
            "you charged me {amount} twice for order {order} of {date} ({product}). Could you check and "
            "cancel the second charge?",
            "the PayPal payment for order {order} says declined, but {amount} has been blocked on my card "
            "since {date}. I ordered {product}.",
            "I need an invoice for order {order} of {date}, amount {amount}, made out to my company. The "
            "order contained {product}.",
        ],
        "prodotti": [
            "{product} from order {order} has not worked since day one. It arrived on {date} with {carrier}, "
            "I paid {amount}.",
            "{product} is missing from order {order}: the {carrier} parcel {tracking} only had the invoice "
            "for {amount}. What now?",
        ],
        "pagamenti-none": [
            "do you accept Klarna in three instalments? I would like to order {product} at {amount}, but my "
            "card has been declined since {date}. Can I pay by bank transfer?",
        ],
        "prodotti-none": [
            "is {product} still available? I would need it by {date}, ideally shipped with {carrier}. Is the "
            "price still {amount}?",
            "what warranty does {product} have? At {amount} I would expect two years. If I order today, "
            "will it arrive by {date}?",
        ],
        "account-none": [
            "I cannot log in to my account with {email}: the password reset link never arrives, not even in "
            "spam. I tried again on {date}.",
            "please delete my account and all my personal data (address {email}) as the GDPR allows. I am "
            "waiting for a written confirmation.",
            "I changed my e-mail address, can you update my profile? The old one is {email} and I have not "
            "used it since {date}.",
        ],
    },
}

AGENT_REPLIES = {
    "it": {
        "ordini": [
            "ho verificato con {carrier}: la spedizione {tracking} dell'ordine {order} è in transito e la "
            "consegna è prevista entro il {date}.",
            "ho aperto una segnalazione con {carrier} per la spedizione {tracking}. Le scrivo appena ho "
            "una risposta dal corriere.",
            "l'ordine {order} è partito oggi con {carrier}, codice di tracciamento {tracking}.",
        ],
        "resi": [
            "ho registrato il reso di {product}: riceverà l'etichetta {carrier} via e-mail. Il rimborso di "
            "{amount} partirà appena riceviamo il pacco.",
            "il rimborso di {amount} per l'ordine {order} è stato emesso il {date}; la banca può impiegare "
            "fino a 10 giorni lavorativi.",
        ],
        "pagamenti": [
            "ho controllato l'ordine {order}: il secondo addebito di {amount} è solo una preautorizzazione e "
            "la banca lo sbloccherà entro il {date}.",
            "le ho appena inviato la fattura dell'ordine {order} ({amount}) all'indirizzo {email}.",
        ],
        "pagamenti-none": [
            "accettiamo Klarna in tre rate senza interessi e il bonifico: per {product} ({amount}) può "
            "sceglierli alla cassa.",
        ],
        "prodotti": [
            "mi dispiace per il problema con {product}. Le spediamo un prodotto sostitutivo con {carrier} "
            "entro il {date}.",
            "{product} è coperto da garanzia di 24 mesi: può mandarci una foto del difetto rispondendo a "
            "questa e-mail?",
        ],
        "account": [
            "ho reimpostato l'accesso per {email}: riceverà a breve un link valido 24 ore.",
            "abbiamo preso in carico la richiesta per {email}; sarà completata entro il {date}.",
        ],
    },
    "en": {
        "ordini": [
            "I checked with {carrier}: shipment {tracking} for order {order} is in transit and should be "
            "delivered by {date}.",
            "I opened a claim with {carrier} for shipment {tracking}. I will write as soon as the courier "
            "answers.",
            "order {order} left our warehouse today with {carrier}, tracking code {tracking}.",
        ],
        "resi": [
            "I registered the return of {product}: you will get the {carrier} label by e-mail. The refund of "
            "{amount} starts as soon as the parcel reaches us.",
            "the refund of {amount} for order {order} was issued on {date}; your bank may take up to 10 "
            "working days.",
        ],
        "pagamenti": [
            "I checked order {order}: the second charge of {amount} is only a pre-authorisation and your "
            "bank "
            "will release it by {date}.",
            "I have just sent the invoice for order {order} ({amount}) to {email}.",
        ],
        "pagamenti-none": [
            "we accept Klarna in three interest-free instalments and bank transfer: for {product} ({amount}) "
            "you can pick them at checkout.",
        ],
        "prodotti": [
            "I am sorry about the problem with {product}. We will ship a replacement with {carrier} "
            "by {date}.",
            "{product} has a 24-month warranty: could you send us a photo of the fault by replying to this "
            "e-mail?",
        ],
        "account": [
            "I reset the access for {email}: you will shortly get a link valid for 24 hours.",
            "we have taken over your request for {email}; it will be done by {date}.",
        ],
    },
}

CUSTOMER_REPLIES = {
    "it": [
        "Grazie per la risposta, aspetto notizie.",
        "Ancora nulla, il tracking {tracking} non si è mosso.",
        "Ok, il pacco è arrivato, grazie!",
        "Non ho ricevuto nessuna e-mail, potete rimandarla?",
        "Perfetto, grazie mille per l'aiuto.",
        "Mi scusi ma il problema con {product} non è risolto.",
        "Va bene, attendo il rimborso di {amount}.",
    ],
    "en": [
        "Thanks for your answer, I will wait.",
        "Still nothing, tracking {tracking} has not moved.",
        "OK, the parcel arrived, thank you!",
        "I did not get any e-mail, could you send it again?",
        "Perfect, many thanks for your help.",
        "Sorry, but the problem with {product} is not solved.",
        "All right, I will wait for the refund of {amount}.",
    ],
}

GREETINGS = {
    "it": [
        "Buongiorno,",
        "Buonasera,",
        "Salve,",
        "Gentile assistenza,",
        "Ciao,",
        "Spett.le Bottega Premura,",
    ],
    "en": ["Hello,", "Hi,", "Good morning,", "Dear customer care,", "Hi there,", "Good afternoon,"],
}
AGENT_GREETINGS = {
    "it": ["Buongiorno {first},", "Gentile {full},", "Ciao {first},"],
    "en": ["Hello {first},", "Dear {full},", "Hi {first},"],
}
AGENT_CLOSINGS = {
    "it": ["Cordiali saluti,", "Resto a disposizione.", "Un saluto,"],
    "en": ["Kind regards,", "Best wishes,", "Let me know if I can help further."],
}
# A second sentence that openings and agent replies often have.
CONTEXT_LINES = {
    "it": [
        "Ho già scritto anche tramite il modulo del sito.",
        "Allego una foto del problema.",
        "Sono disponibile al telefono tutto il giorno.",
        "L'indirizzo di consegna è quello del profilo.",
        "Mi serve entro la fine della settimana per un regalo.",
    ],
    "en": [
        "I already wrote through the form on your website.",
        "I attach a photo of the problem.",
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
CONTEXT_SHARE = 0.5
AGENT_EXTRA_SHARE = 0.6

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
CLOSINGS = {
    "it": ["Grazie,\n{first}", "Cordiali saluti,\n{full}", "Grazie mille\n{first}", "Saluti, {full}"],
    "en": ["Thanks,\n{first}", "Kind regards,\n{full}", "Many thanks\n{first}", "Best, {full}"],
}
FOOTERS = {
    "it": "--\nOrdine {order} del {date} · Totale {amount}",
    "en": "--\nOrder {order} of {date} · Total {amount}",
}
IPHONE = {"it": "Inviato da iPhone", "en": "Sent from my iPhone"}
QUOTE_HEADER = {"it": "Il giorno {date} {name} ha scritto:", "en": "On {date}, {name} wrote:"}
SIGNATURE_TEAM = "Servizio clienti Bottega Premura"

COMPLAINT_SHARE = 0.25
FOOTER_SHARE = 0.40
IPHONE_SHARE = 0.20
QUOTE_SHARE = 0.50


def agent_signature(display_name: str) -> str:
    return f"{display_name}\n{SIGNATURE_TEAM}"


def ascii_fold(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in folded.lower() if c.isalnum())


# ---------------------------------------------------------------------------------------------
# INSERT statements (column order of the row tuples)
# ---------------------------------------------------------------------------------------------

INSERTS = {
    "customers_customer": (
        "id",
        "full_name",
        "search_name",
        "language",
        "preferred_channel",
        "time_zone",
        "marketing_consent",
        "tier",
        "notes",
        "created_at",
    ),
    "customers_customeridentity": ("id", "kind", "value", "is_primary", "created_at", "customer_id"),
    "commerce_order": (
        "id",
        "number",
        "status",
        "placed_at",
        "currency",
        "subtotal",
        "shipping_total",
        "total",
        "email",
        "shipping_name",
        "shipping_street",
        "shipping_postcode",
        "shipping_city",
        "shipping_province",
        "shipping_country",
        "source",
        "external_id",
        "customer_id",
    ),
    "commerce_orderline": ("id", "sku", "name", "category", "quantity", "unit_price", "total", "order_id"),
    "commerce_payment": (
        "id",
        "method",
        "state",
        "amount",
        "currency",
        "provider",
        "external_id",
        "authorized_at",
        "captured_at",
        "order_id",
    ),
    "shipping_shipment": (
        "id",
        "tracking_number",
        "status",
        "promised_delivery_date",
        "shipped_at",
        "delivered_at",
        "last_event_at",
        "created_at",
        "carrier_id",
        "order_id",
    ),
    "shipping_trackingevent": (
        "id",
        "occurred_at",
        "status",
        "raw_code",
        "raw_description",
        "location",
        "external_id",
        "received_at",
        "shipment_id",
    ),
    "conversations_case": (
        "id",
        "subject",
        "status",
        "phase",
        "priority",
        "channel",
        "language",
        "created_at",
        "last_activity_at",
        "solved_at",
        "customer_id",
        "order_id",
        "owner_id",
        "team_id",
    ),
    "conversations_message": (
        "id",
        "direction",
        "channel",
        "is_internal",
        "author_name",
        "body",
        "created_at",
        "external_id",
        "author_agent_id",
        "author_customer_id",
        "case_id",
    ),
    "core_auditevent": (
        "id",
        "actor_label",
        "action",
        "subject_id",
        "data",
        "created_at",
        "actor_id",
        "subject_type_id",
    ),
}


def insert_sql(table: str) -> str:
    columns = INSERTS[table]
    return 'INSERT INTO "{}" ({}) VALUES ({})'.format(
        table, ", ".join(f'"{c}"' for c in columns), ", ".join("?" * len(columns))
    )


# ---------------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------------


@dataclass
class Desk:
    """What exists before the bulk rows: ids of teams, agents and carriers (made through the ORM)."""

    team_ids: dict[str, int]  # queue slug -> team id
    agent_ids: list[int]  # agent k-1 -> id, in weight order
    agent_user_ids: list[int]
    agent_names: list[str]
    carrier_ids: list[int]  # in CARRIERS order
    case_content_type_id: int


@dataclass
class Stats:
    cases: int = 0
    messages: int = 0
    customers: int = 0
    orders: int = 0
    active: int = 0
    open: int = 0
    waiting: int = 0
    unassigned_active: int = 0
    rare_cases: int = 0
    subject_chars: int = 0
    message_chars: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_team: dict[str, int] = field(default_factory=dict)


def _fmt_ts(t: float) -> str:
    # Django's SQLite backend stores aware datetimes as naive UTC text.
    return (_EPOCH + timedelta(seconds=t)).isoformat(" ", "microseconds")


_EPOCH = datetime(1970, 1, 1)


class DeskGenerator:
    def __init__(self, n_cases: int, desk: Desk, *, seed: int = 1, now: float | None = None):
        self.n = n_cases
        self.desk = desk
        self.rng = random.Random(seed)
        self.now = now if now is not None else datetime.now(UTC).timestamp()
        self.start = self.now - WINDOW_DAYS * DAY
        self.n_customers = max(1, n_cases // 3)
        self.stats = Stats()
        self.customers: list[tuple[str, str, str, str]] = []  # (full, first, lang, email)
        self.message_id = 0
        self.order_id = 0
        self.shipment_id = 0
        self.event_id = 0
        self.audit_id = 0
        self.tracking_serial = [0] * len(CARRIERS)
        self.order_numbers: list[str] = []  # kept small: a sample for the search benchmark
        self._dates_it: dict[int, str] = {}
        self._dates_en: dict[int, str] = {}

    # -- customers ------------------------------------------------------------------------------

    def customer_rows(self, chunk: int = 50_000):
        """Yields (customers, identities) row lists; fills self.customers for the cases."""
        rng = self.rng
        for base in range(0, self.n_customers, chunk):
            customers, identities = [], []
            for i in range(base, min(base + chunk, self.n_customers)):
                cid = i + 1
                if rng.random() < 0.65:
                    lang, first, last = "it", rng.choice(IT_FIRST), rng.choice(IT_LAST)
                    domain = rng.choice(EMAIL_DOMAINS)
                else:
                    lang, first, last = "en", rng.choice(EN_FIRST), rng.choice(EN_LAST)
                    domain = rng.choice(EN_EMAIL_DOMAINS)
                full = f"{first} {last}"
                email = f"{ascii_fold(first)}.{ascii_fold(last)}{cid}@{domain}"
                created = _fmt_ts(self.start - rng.random() * 365 * DAY)
                customers.append(
                    (
                        cid,
                        full,
                        " ".join(full.lower().split()),
                        lang,
                        "email",
                        "Europe/Rome" if lang == "it" else "Europe/London",
                        rng.random() < 0.3,
                        "vip" if rng.random() < 0.03 else "standard",
                        "",
                        created,
                    )
                )
                identities.append((cid, "email", email, True, created, cid))
                self.customers.append((full, first, lang, email))
            self.stats.customers += len(customers)
            yield {"customers_customer": customers, "customers_customeridentity": identities}

    # -- cases ----------------------------------------------------------------------------------

    def _date(self, t: float, lang: str) -> str:
        day = int(t // DAY)
        cache = self._dates_it if lang == "it" else self._dates_en
        text = cache.get(day)
        if text is None:
            d = _EPOCH + timedelta(days=day)
            text = f"{d.day} {(IT_MONTHS if lang == 'it' else EN_MONTHS)[d.month - 1]} {d.year}"
            cache[day] = text
        return text

    def case_rows(self, first: int, last: int):
        """Rows of every table for cases first..last-1 (0-based indexes), in one dict."""
        rng = self.rng
        random_ = rng.random
        choice = rng.choice
        choices = rng.choices
        desk = self.desk
        n = self.n
        now = self.now
        start = self.start
        span = WINDOW_DAYS * DAY
        stats = self.stats
        ct_id = desk.case_content_type_id
        out = {t: [] for t in INSERTS if not t.startswith("customers_")}
        cases, messages, audits = (
            out["conversations_case"],
            out["conversations_message"],
            out["core_auditevent"],
        )
        orders, lines, payments = out["commerce_order"], out["commerce_orderline"], out["commerce_payment"]
        shipments, events = out["shipping_shipment"], out["shipping_trackingevent"]

        queues = choices(QUEUES, QUEUE_WEIGHTS, k=last - first)
        channels = choices(CHANNELS, CHANNEL_WEIGHTS, k=last - first)
        priorities = choices(PRIORITIES, PRIORITY_WEIGHTS, k=last - first)
        owners = choices(range(AGENT_COUNT), AGENT_WEIGHTS, k=last - first)
        counts = choices(MESSAGE_COUNTS, MESSAGE_COUNT_WEIGHTS, k=last - first)
        carriers = choices(range(len(CARRIERS)), CARRIER_WEIGHTS, k=last - first)

        for j, i in enumerate(range(first, last)):
            case_id = i + 1
            created = start + (i + random_()) * span / n
            age_days = (now - created) / DAY
            queue = queues[j]
            channel = channels[j]
            cust_index = int(random_() * self.n_customers)
            full, cfirst, lang, email = self.customers[cust_index]
            customer_id = cust_index + 1

            # status
            if random_() < 0.24 + 0.70 * math.exp(-age_days / 60):
                status = choices(ACTIVE_STATUSES, ACTIVE_WEIGHTS)[0]
                owner_k = None if random_() < UNASSIGNED_SHARE else owners[j]
            else:
                status = "solved" if age_days < 7 or random_() < 0.15 else "closed"
                owner_k = owners[j]
            phase = PHASES[status]

            # messages: count consistent with the status
            count = counts[j]
            if status == "new":
                count = 1
            elif status == "open" and count % 2 == 0:
                count += 1
            elif status == "waiting_on_customer" and count % 2 == 1:
                count = count + 1 if count < 5 else count - 1

            # what the case is about
            rare = i % RARE_EVERY == RARE_EVERY // 2
            if rare:
                stats.rare_cases += 1
                product, sku = RARE_PRODUCT, "SKU-999"
                if queue == "account":
                    queue = "prodotti"
            else:
                k = int(random_() * len(CATALOGUE))
                product, sku = CATALOGUE[k], f"SKU-{100 + k}"
            has_order = ORDER_SHARE[queue] >= 1.0 or random_() < ORDER_SHARE[queue]
            carrier_k = carriers[j]
            carrier = CARRIERS[carrier_k]
            self.tracking_serial[carrier_k] += 1
            tracking = f"{carrier[2]}{self.tracking_serial[carrier_k]:0{carrier[3]}d}"
            quantity = 1 if random_() < 0.8 else 2
            price = product[1]
            shipping = 0.0 if price * quantity >= 49 else 5.90
            total = price * quantity + shipping
            amount = f"€ {total:.2f}".replace(".", ",") if lang == "it" else f"€{total:.2f}"
            placed = created - (1 + random_() * 20) * DAY
            order_number = ""
            order_id = None
            if has_order:
                self.order_id += 1
                order_id = self.order_id
                order_number = f"PRM-{1_000_000 + order_id}"
                if len(self.order_numbers) < 10_000 and random_() < 0.05:
                    self.order_numbers.append(order_number)
                city = CITIES[int(random_() * len(CITIES))]
                shipped = queue != "pagamenti" or random_() < 0.5
                order_status = (
                    "refunded"
                    if queue == "resi" and status in ("solved", "closed")
                    else ("delivered" if age_days > 10 else "shipped")
                    if shipped
                    else "paid"
                )
                placed_s = _fmt_ts(placed)
                orders.append(
                    (
                        order_id,
                        order_number,
                        order_status,
                        placed_s,
                        "EUR",
                        f"{price * quantity:.2f}",
                        f"{shipping:.2f}",
                        f"{total:.2f}",
                        email,
                        full,
                        f"{choice(STREETS)} {1 + int(random_() * 120)}",
                        city[1],
                        city[0],
                        city[2],
                        "IT" if lang == "it" else "GB",
                        "shop",
                        "",
                        customer_id,
                    )
                )
                lines.append(
                    (
                        order_id,
                        sku,
                        product[0],
                        product[2],
                        quantity,
                        f"{price:.2f}",
                        f"{price * quantity:.2f}",
                        order_id,
                    )
                )
                method = choices(["card", "paypal", "bank_transfer", "klarna"], [60, 25, 8, 7])[0]
                payments.append(
                    (
                        order_id,
                        method,
                        "refunded" if order_status == "refunded" else "captured",
                        f"{total:.2f}",
                        "EUR",
                        "stripe" if method == "card" else method,
                        f"pay_{order_id:09d}",
                        placed_s,
                        placed_s,
                        order_id,
                    )
                )
                if shipped:
                    self.shipment_id += 1
                    sid = self.shipment_id
                    shipped_at = placed + (0.5 + random_()) * DAY
                    promised = _EPOCH + timedelta(seconds=shipped_at + 3 * DAY)
                    delivered = order_status in ("delivered", "refunded")
                    delivered_at = shipped_at + (1 + random_() * 3) * DAY
                    last_event = min(delivered_at if delivered else shipped_at + DAY, now)
                    shipments.append(
                        (
                            sid,
                            tracking,
                            "delivered" if delivered else "in_transit",
                            promised.date().isoformat(),
                            _fmt_ts(shipped_at),
                            _fmt_ts(delivered_at) if delivered else None,
                            _fmt_ts(last_event),
                            _fmt_ts(placed),
                            desk.carrier_ids[carrier_k],
                            order_id,
                        )
                    )
                    self.event_id += 1
                    events.append(
                        (
                            self.event_id,
                            _fmt_ts(shipped_at),
                            "info_received",
                            "DATI RICEVUTI",
                            "Dati della spedizione ricevuti",
                            "",
                            "",
                            _fmt_ts(shipped_at),
                            sid,
                        )
                    )
                    self.event_id += 1
                    events.append(
                        (
                            self.event_id,
                            _fmt_ts(last_event),
                            "delivered" if delivered else "in_transit",
                            "CONSEGNATA" if delivered else "IN TRANSITO",
                            "Spedizione consegnata" if delivered else "Spedizione in transito",
                            city[0],
                            "",
                            _fmt_ts(last_event),
                            sid,
                        )
                    )

            values = {
                "order": order_number,
                "product": product[0],
                "carrier": carrier[1],
                "tracking": tracking,
                "amount": amount,
                "date": self._date(placed, lang),
                "email": email,
            }

            # subject
            subject_templates = SUBJECTS[lang][queue]
            subject = choice(subject_templates)
            if not has_order:
                while "{order}" in subject:
                    subject = choice(subject_templates)
            subject = subject.format_map(values)
            subject = subject[0].upper() + subject[1:]

            # message times: gaps scaled so that the last one is before now
            gaps = [0.0] + [(0.2 + random_() * 24) * 3600 for _ in range(count - 1)]
            room = now - created - 60
            total_gap = sum(gaps)
            if total_gap > room > 0:
                gaps = [g * room / total_gap for g in gaps]
            agent_replies = AGENT_REPLIES[lang].get(f"{queue}-none", AGENT_REPLIES[lang][queue])
            if has_order:
                agent_replies = AGENT_REPLIES[lang][queue]
            t = created
            owner_id = desk.agent_ids[owner_k] if owner_k is not None else None
            author_k = owner_k if owner_k is not None else int(random_() * AGENT_COUNT)
            agent_name = desk.agent_names[author_k]
            agent_id = desk.agent_ids[author_k]
            previous = ""
            for m in range(count):
                t += gaps[m]
                self.message_id += 1
                if m % 2 == 0:  # the customer
                    if m == 0:
                        opening_key = queue if has_order else f"{queue}-none"
                        parts = [
                            choice(GREETINGS[lang]),
                            "",
                            _sentence(choice(OPENINGS[lang][opening_key]).format_map(values)),
                        ]
                        if random_() < CONTEXT_SHARE:
                            parts.append(choice(CONTEXT_LINES[lang]))
                        if random_() < COMPLAINT_SHARE:
                            parts.append(choice(COMPLAINTS[lang]))
                        parts += ["", choice(CLOSINGS[lang]).format(first=cfirst, full=full)]
                        if has_order and random_() < FOOTER_SHARE:
                            parts += ["", FOOTERS[lang].format_map(values)]
                    else:
                        parts = [choice(CUSTOMER_REPLIES[lang]).format_map(values), cfirst]
                    if random_() < IPHONE_SHARE:
                        parts += ["", IPHONE[lang]]
                    if m > 0 and random_() < QUOTE_SHARE:
                        parts += [
                            "",
                            QUOTE_HEADER[lang].format(date=self._date(t - gaps[m], lang), name=agent_name),
                        ]
                        parts += ["> " + line if line else ">" for line in previous.split("\n")]
                    body = "\n".join(parts)
                    messages.append(
                        (
                            self.message_id,
                            "inbound",
                            channel,
                            False,
                            full,
                            body,
                            _fmt_ts(t),
                            "",
                            None,
                            customer_id,
                            case_id,
                        )
                    )
                else:  # the agent, signed
                    text = _sentence(choice(agent_replies).format_map(values))
                    if random_() < AGENT_EXTRA_SHARE:
                        text += " " + choice(AGENT_EXTRA_LINES[lang])
                    body = "\n".join(
                        [
                            choice(AGENT_GREETINGS[lang]).format(first=cfirst, full=full),
                            "",
                            text,
                            "",
                            choice(AGENT_CLOSINGS[lang]),
                            "",
                            agent_signature(agent_name),
                        ]
                    )
                    messages.append(
                        (
                            self.message_id,
                            "outbound",
                            channel,
                            False,
                            agent_name,
                            body,
                            _fmt_ts(t),
                            "",
                            agent_id,
                            None,
                            case_id,
                        )
                    )
                previous = body
                stats.message_chars += len(body)
            last_activity = t

            solved_at = _fmt_ts(last_activity) if status in ("solved", "closed") else None
            created_s = _fmt_ts(created)
            cases.append(
                (
                    case_id,
                    subject,
                    status,
                    phase,
                    priorities[j],
                    channel,
                    lang,
                    created_s,
                    _fmt_ts(last_activity),
                    solved_at,
                    customer_id,
                    order_id,
                    owner_id,
                    desk.team_ids[queue],
                )
            )

            # audit log: opened, assigned, and the last status change
            self.audit_id += 1
            audits.append(
                (
                    self.audit_id,
                    full,
                    "case.opened",
                    case_id,
                    json.dumps({"channel": channel}),
                    created_s,
                    None,
                    ct_id,
                )
            )
            if owner_k is not None:
                self.audit_id += 1
                audits.append(
                    (
                        self.audit_id,
                        "system",
                        "case.assigned",
                        case_id,
                        json.dumps({"owner": agent_name, "owner_id": owner_id}),
                        _fmt_ts(created + 1),
                        None,
                        ct_id,
                    )
                )
            if status not in ("new", "open"):
                self.audit_id += 1
                audits.append(
                    (
                        self.audit_id,
                        agent_name,
                        "case.status_changed",
                        case_id,
                        json.dumps({"old": "open", "new": status}),
                        _fmt_ts(last_activity),
                        desk.agent_user_ids[author_k],
                        ct_id,
                    )
                )

            stats.cases += 1
            stats.messages += count
            stats.subject_chars += len(subject)
            stats.by_status[status] = stats.by_status.get(status, 0) + 1
            stats.by_team[queue] = stats.by_team.get(queue, 0) + 1
            if status not in ("solved", "closed"):
                stats.active += 1
                stats.unassigned_active += owner_k is None
            stats.open += phase == "open"
            stats.waiting += phase == "waiting"
        stats.orders = self.order_id
        return out


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:]
