"""Keywords for every service: shown in Open311's `keywords` and used to infer a category
from free text. Written from what each service is, not from any labelled test set.

Revision ID: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

KEYWORDS = {
    "pothole": "pothole hole road street pavement asphalt crater patch tire",
    "streetlight": "street light lamp dark out flickering pole lighting bulb",
    "sidewalk": "sidewalk curb ramp trip uneven broken cracked walkway",
    "street_cleaning": "sweep sweeping street cleaning litter debris dirty glass leaves",
    "missed_trash": "missed trash recycling collection garbage barrel bin cart yard waste "
                    "not picked up",
    "bulk_item": "bulk item furniture couch mattress appliance large item pickup schedule",
    "dead_animal": "dead animal carcass deer raccoon cat dog bird roadkill",
    "graffiti": "graffiti tag tagging spray paint vandalism",
    "parking": "parking parked illegally blocking driveway hydrant double parked permit "
               "enforcement",
    "abandoned_vehicle": "abandoned vehicle car unmoved weeks flat tires expired plates junk",
    "traffic_signal": "traffic signal light intersection red green walk signal timing",
    "rodent": "rat rats mice mouse rodent rodents burrow",
    "housing": "housing apartment landlord tenant heat no heat mold leak unit living "
               "conditions pest infestation roaches bed bugs code violation",
    "tree": "tree branch limb fallen down trim overgrown stump",
    "needle_pickup": "needle needles syringe syringes sharps",
    "general": "",
}


def upgrade() -> None:
    with op.batch_alter_table("service_catalog") as table:
        table.add_column(sa.Column("keywords", sa.Text, nullable=False, server_default=""))
    catalog = sa.table("service_catalog", sa.column("service_code"), sa.column("keywords"))
    for code, words in KEYWORDS.items():
        op.execute(catalog.update().where(catalog.c.service_code == code)
                   .values(keywords=words))


def downgrade() -> None:
    with op.batch_alter_table("service_catalog") as table:
        table.drop_column("keywords")
