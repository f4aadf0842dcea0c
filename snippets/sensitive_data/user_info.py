"""Attach the signed-in user to events: turn on one category of bahk's data collection."""

from bahk.sentry import DATA_COLLECTION

# Change this one key and keep the others: a category that a `data_collection` dict
# leaves out falls back to the SDK's default, which is to collect it.
DATA_COLLECTION_WITH_USER = {**DATA_COLLECTION, "user_info": True}
