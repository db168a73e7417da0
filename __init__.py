from . import request_layer
from . import models
from . import wizards

request_layer.apply()
