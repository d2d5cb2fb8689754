def test_the_client_is_the_apps(client):
    assert client == "the app's own client"
