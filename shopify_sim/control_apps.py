from flask import Blueprint

bp = Blueprint("control_apps", __name__)
