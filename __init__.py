from . import request_layer
from . import models
from . import wizards
from . import controllers

request_layer.apply()
controllers.json2.apply()
