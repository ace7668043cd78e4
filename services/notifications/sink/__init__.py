"""The local sink of the embedded stack: records SMS, bot and e-mail messages and shows them."""
