"""The demo county's activity (`python -m deploy.demo_county`), driven through the services'
HTTP APIs and the dispute workflows, as the portal would drive them."""
