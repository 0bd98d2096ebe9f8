"""The in-process TestClient used as a user would, from pytest on CPython (the
unit script test_http_features.py runs the same on both runtimes)."""

from remora.http import App, TestClient


def make_app():
    app = App()

    @app.route("/items/<int:n>", methods=("GET", "PUT"))
    def item(req, n):
        if req.method == "PUT":
            return {"stored": n, "body": req.json()}
        return {"item": n}

    @app.route("/slow", worker=True)
    def slow(req):  # on the worker pool, as served
        return "from a worker"

    return app


def test_client_from_pytest():
    client = TestClient(make_app())
    assert client.get("/items/3").json() == {"item": 3}
    resp = client.put("/items/4", json={"a": 1})
    assert resp.status == 200 and resp.json() == {"stored": 4, "body": {"a": 1}}
    assert client.get("/slow").text == "from a worker"
    assert client.get("/items/x").status == 404
