"""An outgoing HTTP request needs no span of your own: the SDK times it as `http.client`."""

import json
from urllib.parse import urlencode
from urllib.request import urlopen


def geocode(geocoder_url: str, city: str) -> tuple[float, float]:
    query = urlencode({"city": city, "format": "json"})
    with urlopen(f"{geocoder_url}/search?{query}") as response:
        (place,) = json.load(response)
    return float(place["lat"]), float(place["lon"])
