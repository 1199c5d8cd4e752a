"""OCPI 2.2.1 enums of the locations module (mod_locations.asciidoc, "Data types"); values are the wire strings."""

from django.db import models

# Shared with other modules, defined once in roaming.ocpi; re-exported so existing imports keep working.
from roaming.ocpi.choices import EnergySourceCategory as EnergySourceCategory
from roaming.ocpi.choices import EnvironmentalImpactCategory as EnvironmentalImpactCategory
from roaming.ocpi.choices import ImageCategory as ImageCategory

# Shared with other modules, defined once in roaming.ocpi; re-exported so imports keep working.
from roaming.ocpi.choices import TokenType as TokenType


class Status(models.TextChoices):
    AVAILABLE = "AVAILABLE", "Available"
    BLOCKED = "BLOCKED", "Blocked"
    CHARGING = "CHARGING", "Charging"
    INOPERATIVE = "INOPERATIVE", "Inoperative"
    OUTOFORDER = "OUTOFORDER", "Out of order"
    PLANNED = "PLANNED", "Planned"
    REMOVED = "REMOVED", "Removed"
    RESERVED = "RESERVED", "Reserved"
    UNKNOWN = "UNKNOWN", "Unknown"


class Capability(models.TextChoices):
    CHARGING_PROFILE_CAPABLE = "CHARGING_PROFILE_CAPABLE", "Charging profile capable"
    CHARGING_PREFERENCES_CAPABLE = "CHARGING_PREFERENCES_CAPABLE", "Charging preferences capable"
    CHIP_CARD_SUPPORT = "CHIP_CARD_SUPPORT", "Chip card support"
    CONTACTLESS_CARD_SUPPORT = "CONTACTLESS_CARD_SUPPORT", "Contactless card support"
    CREDIT_CARD_PAYABLE = "CREDIT_CARD_PAYABLE", "Credit card payable"
    DEBIT_CARD_PAYABLE = "DEBIT_CARD_PAYABLE", "Debit card payable"
    PED_TERMINAL = "PED_TERMINAL", "PED terminal (PIN entry device)"
    REMOTE_START_STOP_CAPABLE = "REMOTE_START_STOP_CAPABLE", "Remote start stop capable"
    RESERVABLE = "RESERVABLE", "Reservable"
    RFID_READER = "RFID_READER", "RFID reader"
    START_SESSION_CONNECTOR_REQUIRED = "START_SESSION_CONNECTOR_REQUIRED", "Start session connector required"
    TOKEN_GROUP_CAPABLE = "TOKEN_GROUP_CAPABLE", "Token group capable"
    UNLOCK_CAPABLE = "UNLOCK_CAPABLE", "Unlock capable"


class ConnectorFormat(models.TextChoices):
    SOCKET = "SOCKET", "Socket"
    CABLE = "CABLE", "Cable"


class ConnectorType(models.TextChoices):
    CHADEMO = "CHADEMO", "CHAdeMO"
    CHAOJI = "CHAOJI", "ChaoJi"
    DOMESTIC_A = "DOMESTIC_A", "Domestic plug type A"
    DOMESTIC_B = "DOMESTIC_B", "Domestic plug type B"
    DOMESTIC_C = "DOMESTIC_C", "Domestic plug type C"
    DOMESTIC_D = "DOMESTIC_D", "Domestic plug type D"
    DOMESTIC_E = "DOMESTIC_E", "Domestic plug type E"
    DOMESTIC_F = "DOMESTIC_F", "Domestic plug type F"
    DOMESTIC_G = "DOMESTIC_G", "Domestic plug type G"
    DOMESTIC_H = "DOMESTIC_H", "Domestic plug type H"
    DOMESTIC_I = "DOMESTIC_I", "Domestic plug type I"
    DOMESTIC_J = "DOMESTIC_J", "Domestic plug type J"
    DOMESTIC_K = "DOMESTIC_K", "Domestic plug type K"
    DOMESTIC_L = "DOMESTIC_L", "Domestic plug type L"
    DOMESTIC_M = "DOMESTIC_M", "Domestic plug type M"
    DOMESTIC_N = "DOMESTIC_N", "Domestic plug type N"
    DOMESTIC_O = "DOMESTIC_O", "Domestic plug type O"
    GBT_AC = "GBT_AC", "GB/T AC"
    GBT_DC = "GBT_DC", "GB/T DC"
    IEC_60309_2_single_16 = "IEC_60309_2_single_16", "IEC 60309-2 industrial, single phase 16 A"
    IEC_60309_2_three_16 = "IEC_60309_2_three_16", "IEC 60309-2 industrial, three phase 16 A"
    IEC_60309_2_three_32 = "IEC_60309_2_three_32", "IEC 60309-2 industrial, three phase 32 A"
    IEC_60309_2_three_64 = "IEC_60309_2_three_64", "IEC 60309-2 industrial, three phase 64 A"
    IEC_62196_T1 = "IEC_62196_T1", "IEC 62196 Type 1"
    IEC_62196_T1_COMBO = "IEC_62196_T1_COMBO", "IEC 62196 Type 1 Combo (CCS1)"
    IEC_62196_T2 = "IEC_62196_T2", "IEC 62196 Type 2"
    IEC_62196_T2_COMBO = "IEC_62196_T2_COMBO", "IEC 62196 Type 2 Combo (CCS2)"
    IEC_62196_T3A = "IEC_62196_T3A", "IEC 62196 Type 3A"
    IEC_62196_T3C = "IEC_62196_T3C", "IEC 62196 Type 3C"
    NEMA_5_20 = "NEMA_5_20", "NEMA 5-20"
    NEMA_6_30 = "NEMA_6_30", "NEMA 6-30"
    NEMA_6_50 = "NEMA_6_50", "NEMA 6-50"
    NEMA_10_30 = "NEMA_10_30", "NEMA 10-30"
    NEMA_10_50 = "NEMA_10_50", "NEMA 10-50"
    NEMA_14_30 = "NEMA_14_30", "NEMA 14-30"
    NEMA_14_50 = "NEMA_14_50", "NEMA 14-50"
    PANTOGRAPH_BOTTOM_UP = "PANTOGRAPH_BOTTOM_UP", "Pantograph bottom up"
    PANTOGRAPH_TOP_DOWN = "PANTOGRAPH_TOP_DOWN", "Pantograph top down"
    TESLA_R = "TESLA_R", "Tesla Roadster"
    TESLA_S = "TESLA_S", "Tesla Model S/X"


class PowerType(models.TextChoices):
    AC_1_PHASE = "AC_1_PHASE", "AC 1-phase"
    AC_2_PHASE = "AC_2_PHASE", "AC 2-phase"
    AC_2_PHASE_SPLIT = "AC_2_PHASE_SPLIT", "AC 2-phase split"
    AC_3_PHASE = "AC_3_PHASE", "AC 3-phase"
    DC = "DC", "DC"


class ParkingType(models.TextChoices):
    ALONG_MOTORWAY = "ALONG_MOTORWAY", "Along motorway"
    PARKING_GARAGE = "PARKING_GARAGE", "Parking garage"
    PARKING_LOT = "PARKING_LOT", "Parking lot"
    ON_DRIVEWAY = "ON_DRIVEWAY", "On driveway"
    ON_STREET = "ON_STREET", "On street"
    UNDERGROUND_GARAGE = "UNDERGROUND_GARAGE", "Underground garage"


class ParkingRestriction(models.TextChoices):
    EV_ONLY = "EV_ONLY", "EVs only"
    PLUGGED = "PLUGGED", "Plugged"
    DISABLED = "DISABLED", "Disabled"
    CUSTOMERS = "CUSTOMERS", "Customers"
    MOTORCYCLES = "MOTORCYCLES", "Motorcycles"


class Facility(models.TextChoices):
    HOTEL = "HOTEL", "Hotel"
    RESTAURANT = "RESTAURANT", "Restaurant"
    CAFE = "CAFE", "Cafe"
    MALL = "MALL", "Mall"
    SUPERMARKET = "SUPERMARKET", "Supermarket"
    SPORT = "SPORT", "Sport"
    RECREATION_AREA = "RECREATION_AREA", "Recreation area"
    NATURE = "NATURE", "Nature"
    MUSEUM = "MUSEUM", "Museum"
    BIKE_SHARING = "BIKE_SHARING", "Bike sharing"
    BUS_STOP = "BUS_STOP", "Bus stop"
    TAXI_STAND = "TAXI_STAND", "Taxi stand"
    TRAM_STOP = "TRAM_STOP", "Tram stop"
    METRO_STATION = "METRO_STATION", "Metro station"
    TRAIN_STATION = "TRAIN_STATION", "Train station"
    AIRPORT = "AIRPORT", "Airport"
    PARKING_LOT = "PARKING_LOT", "Parking lot"
    CARPOOL_PARKING = "CARPOOL_PARKING", "Carpool parking"
    FUEL_STATION = "FUEL_STATION", "Fuel station"
    WIFI = "WIFI", "Wi-Fi"
