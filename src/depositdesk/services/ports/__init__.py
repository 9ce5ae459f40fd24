"""What the services need from the outside world, as Protocols (architecture.md).

- `uow`: the unit of work and its repositories (adapters/db implements them);
- `repositories`: one Protocol per repository;
- `gateways`: mail, webhooks, payouts and files (adapters/*.py implement them).
- `rates`: the exchange-rate source a payout converts with (adapters/fx.py).
"""
