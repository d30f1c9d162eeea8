from flask import Blueprint

bp = Blueprint("control_shops", __name__)
