"""Community Safety Governance Simulator — the model.

``from simulation import CommunitySafetyModel, load_config, run, evaluate``
"""

from simulation.config import ModelConfig, load_config
from simulation.errors import InputError
from simulation.model import CommunitySafetyModel
from simulation.runner import RunResult, evaluate, run

__all__ = ["CommunitySafetyModel", "InputError", "ModelConfig", "RunResult", "evaluate", "load_config", "run"]
__version__ = "0.1.0"
