from flask import Blueprint

bp = Blueprint("graphql_api", __name__)
