"""The ceiling: the smallest Flask JSON endpoint under waitress, for comparison with real API calls."""

import sys

import waitress
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.route("/", methods=["GET", "POST"])
def ping():
    payload = request.get_json(silent=True) or {}
    return jsonify({"ok": True, "echo": payload}), 201 if request.method == "POST" else 200


if __name__ == "__main__":
    waitress.serve(app, host="127.0.0.1", port=int(sys.argv[1]), threads=int(sys.argv[2]), _quiet=True)
