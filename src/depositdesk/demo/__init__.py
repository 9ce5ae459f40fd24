"""The demo marketplace behind `depositdesk demo` (interface.md, "Command line").

`seed.py` seeds a small marketplace once per SQLite file, through the services
(never raw SQL), and creates fresh bearer tokens on every run: tokens are stored
hashed, so they can only be shown at the moment they are made. `plans.py` holds
the sellers and shops, `event_maker.py` and `scenarios.py` their events, built
with `events.py` (the event builder the tests and benchmarks use too), and
`refund_stages.py` the refunds made through the services at past moments.

What the seeded shops show (ids are marketplace-style, e.g. ``acme-uk-01``):

==============  ===============================================================
acme-uk-01      healthy, busy GB shop; apparel 1,000 + beauty 1,500 → required
                1,500 GBP, the highest, not the sum (DEP-1); campaigns,
                creators, tickets, open orders, orders in after-sales windows
acme-uk-02      stopped selling electronics (``category.stopped``) after its last
                electronics order finished: a difference refund of 1,500 GBP is
                eligible and offered in a ``difference_available`` notice (REF-2)
acme-cn-01      apparel 2,000 + home 5,000 → 5,000 CNY (DEP-1), paid in two
                instalments; an open dispute, an open complaint, an unpaid fine
                and an outstanding advertising charge (REF-1 blockers)
bluefin-cn-01   funded, then electronics added three days ago: required 20,000
                CNY (not 30,000), under-funded, top-up notice due (DEP-5)
bluefin-cn-02   new shop, nothing paid in: ``pending_deposit`` (DEP-4); its
                first orders are still taken
cedar-us-01     an empty-parcel violation whose consumer loss (800 USD) exceeds
                the 500 USD held: deposit emptied, 300 USD receivable (DEP-8)
cedar-us-02     healthy US shop (flat 500 USD), proceeds and settled charges
dragon-uk-01    contract terminated (REF-9); every order delivered and every
                case closed, so a full refund waits only for after-sales periods
                that end on a date (``clears_at`` / ``earliest_at``, REF-3)
cedar-us-03     a 200 USD short-shipment deduction left the deposit short;
                proceeds four days later paid it automatically (offset, DEP-7)
eagle-uk-01…06  jewellery added (required 1,000 → 4,000 GBP) and never topped
                up: one shop on each enforcement ladder step, from ``warning``
                (01) to ``marketplace_suspended`` (06) (DEP-6)
falcon-uk-01…07 stopped electronics 45 days ago (required 2,500 → 1,000 GBP):
                each got one ``difference_available`` notice (REF-2) and applied
                for the 1,500 GBP difference; each refund stands at one stage
                (``refund_stages.py``): 01 ``submitted``, review on time; 02
                ``submitted``, review late (``review_late`` notice, queue
                ``late``); 03 ``approved``, payout pending (the demo's worker
                sends it on its first round); 04 ``paying``, sent, the sandbox
                bank settles it a day later; 05 ``paid`` to a CNY account at the
                payout day's ECB rate (rate, date, source and bank reference on
                the payout, REF-7); 06 ``rejected`` (``proof_invalid``, with the
                reviewer's message); 07 ``withdrawn`` by the seller
==============  ===============================================================

Everything happens relative to the clock's "now": shops were opened a few
months ago and their events are spread over that time. The structure comes from
a fixed ``random.Random`` seed, so every demo looks the same.
"""
