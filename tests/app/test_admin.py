"""bahk's Django admin: hub's models under the app's own name."""


def test_the_admin_lists_fasts_and_participants_under_fasting_hub(admin_client):
    page = admin_client.get("/admin/").content.decode()

    assert ">Fasting hub<" in page  # the app's heading
    assert 'href="/admin/hub/fast/"' in page
    assert 'href="/admin/hub/participant/"' in page
