from flask import Blueprint

bp = Blueprint("bridge", __name__, url_prefix="/bridge/v1")
