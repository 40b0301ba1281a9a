"""uzbekhub/common/geocoding.py: one interface, an offline and a Nominatim implementation."""

import time

import pytest

from config import ConfigError, load_config
from tests.accounts.fake_nominatim import UNABLE, FakeNominatim
from uzbekhub.common.geocoding import (
    NominatimGeocoder,
    OfflineGeocoder,
    Place,
    build_geocoder,
    reverse_geocode,
)

TASHKENT = (41.2995, 69.2401)


@pytest.fixture
def nominatim():
    server = FakeNominatim().start()
    yield server
    server.stop()


def nominatim_geocoder(server, timeout=2.0, min_delay=0.0, user_agent="uzbekhub-tests"):
    return build_geocoder(
        {
            "GEOCODER": "nominatim",
            "NOMINATIM_DOMAIN": server.url,
            "GEOCODER_USER_AGENT": user_agent,
            "GEOCODER_TIMEOUT": timeout,
            "GEOCODER_MIN_DELAY": min_delay,
        }
    )


# --- offline ------------------------------------------------------------------------------------


def test_offline_names_tashkent():
    place = OfflineGeocoder().reverse(*TASHKENT)
    assert place.country == "Uzbekistan"
    assert place.city == "Tashkent"


@pytest.mark.parametrize(
    "coords, country, city",
    [
        ((51.5072, -0.1276), "United Kingdom", "London"),
        ((39.6542, 66.9597), "Uzbekistan", "Samarkand"),
        ((-33.8688, 151.2093), "Australia", "Sydney"),
    ],
)
def test_offline_names_other_places(coords, country, city):
    place = OfflineGeocoder().reverse(*coords)
    assert (place.country, place.city) == (country, city)


def test_offline_gives_no_names_far_out_at_sea():
    assert OfflineGeocoder().reverse(0.0, -30.0) == Place()


def test_offline_loads_its_data_lazily_and_once(monkeypatch):
    import reverse_geocode

    made = []
    real = reverse_geocode.GeocodeData

    def counting(*args, **kwargs):
        made.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(reverse_geocode, "GeocodeData", counting)
    geocoder = OfflineGeocoder()
    assert made == []  # nothing loaded at construction
    geocoder.reverse(*TASHKENT)
    geocoder.reverse(40.7128, -74.0060)
    assert made == [1]


def test_offline_is_the_default_geocoder():
    assert isinstance(build_geocoder(load_config({})), OfflineGeocoder)


def test_an_unknown_geocoder_setting_is_a_clear_error():
    with pytest.raises(ConfigError, match="GEOCODER"):
        load_config({"GEOCODER": "yandex"})


# --- nominatim against a local fake -----------------------------------------------------------------


def test_nominatim_maps_the_address_to_place_names(nominatim):
    place = nominatim_geocoder(nominatim).reverse(*TASHKENT)
    assert place == Place(
        country="Uzbekistan",
        city="Tashkent",
        county="Yunusabad District",
        neighbourhood="Chilonzor",
    )


def test_nominatim_requests_carry_coordinates_user_agent_and_language(nominatim):
    nominatim_geocoder(nominatim, user_agent="uzbekhub-ua/1").reverse(*TASHKENT)
    [request] = nominatim.requests
    assert request["path"] == "/reverse"
    assert float(request["query"]["lat"]) == TASHKENT[0]
    assert float(request["query"]["lon"]) == TASHKENT[1]
    assert request["query"]["format"] == "json"
    assert request["query"]["accept-language"] == "en"
    assert request["headers"]["User-Agent"] == "uzbekhub-ua/1"


def test_nominatim_town_and_suburb_fill_city_and_neighbourhood(nominatim):
    nominatim.reply = {
        "lat": "40.38",
        "lon": "71.78",
        "display_name": "Old Town, Fergana, Uzbekistan",
        "address": {
            "suburb": "Old Town",
            "town": "Fergana",
            "county": "Fergana District",
            "country": "Uzbekistan",
        },
    }
    place = nominatim_geocoder(nominatim).reverse(40.38, 71.78)
    assert place == Place(
        country="Uzbekistan", city="Fergana", county="Fergana District", neighbourhood="Old Town"
    )


def test_nominatim_keeps_to_its_rate_limit(nominatim):
    geocoder = nominatim_geocoder(nominatim, min_delay=0.3)
    for _ in range(3):
        geocoder.reverse(*TASHKENT)
    times = [r["at"] for r in nominatim.requests]
    assert len(times) == 3
    assert all(b - a >= 0.28 for a, b in zip(times, times[1:], strict=False))


def test_nominatim_gives_up_after_its_timeout(nominatim):
    nominatim.delay = 2.0
    started = time.monotonic()
    place = reverse_geocode(*TASHKENT, geocoder=nominatim_geocoder(nominatim, timeout=0.3))
    assert place == Place()
    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize("status, reply", [(500, {"error": "boom"}), (200, UNABLE), (429, {})])
def test_nominatim_failures_and_empty_answers_yield_no_names(nominatim, status, reply):
    nominatim.status, nominatim.reply = status, reply
    assert reverse_geocode(*TASHKENT, geocoder=nominatim_geocoder(nominatim)) == Place()


def test_an_unreachable_nominatim_yields_no_names():
    geocoder = NominatimGeocoder("http://127.0.0.1:9", "uzbekhub-tests", 0.5, 0)
    assert reverse_geocode(*TASHKENT, geocoder=geocoder) == Place()


def test_long_names_are_cut_to_the_column_size(nominatim):
    nominatim.reply = {
        "lat": "1",
        "lon": "1",
        "display_name": "x",
        "address": {"city": "x" * 300, "country": " "},
    }
    place = nominatim_geocoder(nominatim).reverse(1.0, 1.0)
    assert place.city == "x" * 100
    assert place.country is None
