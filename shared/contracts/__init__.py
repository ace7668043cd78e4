"""The services' HTTP contracts: request and answer models their clients (the portal) use.

The event contracts are in shared/messaging/contracts."""
