"""Pictures: accessible SVG whose text equivalent says every edge it draws."""

import json
import re
from html import unescape
from xml.etree import ElementTree

from lessons import pictures
from lessons.pictures import Tile, TileCall
from simulator import World
from tests.factories import EC2_TRUST

SVG = "{http://www.w3.org/2000/svg}"
PUT_GET = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:GetObject"],
                "Resource": "arn:aws:s3:::reports/*",
            },
            {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::reports/*"},
        ],
    }
)


def account(*, instances: int = 2, trust: str = EC2_TRUST) -> World:
    world = World.new(seed=5)
    admin = world.admin_credentials()

    def call(service: str, operation: str, **params: object) -> dict:
        return world.call(admin, service, operation, params)

    call("iam", "CreateRole", RoleName="AppRole", AssumeRolePolicyDocument=trust)
    call("iam", "PutRolePolicy", RoleName="AppRole", PolicyName="reports", PolicyDocument=PUT_GET)
    call(
        "iam",
        "AttachRolePolicy",
        RoleName="AppRole",
        PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
    )
    call("iam", "CreateInstanceProfile", InstanceProfileName="AppProfile")
    call("iam", "AddRoleToInstanceProfile", InstanceProfileName="AppProfile", RoleName="AppRole")
    call("iam", "CreateServiceLinkedRole", AWSServiceName="ssm.amazonaws.com")
    call("iam", "CreateUser", UserName="app-user")
    call("iam", "PutUserPolicy", UserName="app-user", PolicyName="keyed", PolicyDocument=PUT_GET)
    for number in range(1, instances + 1):
        call("ec2", "RunInstances", ImageId="ami-0abcdef1234567890", InstanceType="t3.micro", MinCount=1,
             MaxCount=1, IamInstanceProfile={"Name": "AppProfile"},
             TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": f"web-{number}"}]}])  # fmt: skip
    return world


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)


def test_the_graph_svg_is_an_accessible_image_with_title_and_desc():
    picture = pictures.draw_graph(pictures.access_graph(account()), id_prefix="g")
    root = parse(picture.svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "g-title g-desc"
    assert root.get("viewBox").startswith("0 0 360 ")
    assert root.find(f"{SVG}title").get("id") == "g-title"
    assert root.find(f"{SVG}title").text == picture.title
    assert root.find(f"{SVG}desc").text == picture.desc


def test_the_text_equivalent_lists_the_same_edges_as_the_svg():
    picture = pictures.draw_graph(pictures.access_graph(account()))
    root = parse(picture.svg)
    drawn = [
        group.find(f"{SVG}title").text
        for group in root.iter(f"{SVG}g")
        if "pic-edge" in group.get("class", "")
    ]
    assert drawn == list(picture.lines)
    assert len(drawn) == len(set(drawn))


def test_the_graph_says_who_may_assume_what_and_what_it_reaches():
    world = account()
    web1 = next(
        i for i, instance in world.state.instances.items() if instance.tags["Name"] == "web-1"
    )
    lines = pictures.access_graph(world).lines
    assert (
        "Service principal ec2.amazonaws.com may assume role AppRole (its trust policy says so)."
        in lines
    )
    assert f"Instance web-1 ({web1}) uses instance profile AppProfile." in lines
    assert "Instance profile AppProfile holds role AppRole." in lines
    assert "Role AppRole has policy reports (inline)." in lines
    assert "Role AppRole has policy AmazonS3ReadOnlyAccess (AWS managed)." in lines
    assert (
        "Policy reports (inline) allows s3:PutObject, s3:GetObject on arn:aws:s3:::reports/*."
        in lines
    )
    assert "Policy reports (inline) denies s3:DeleteObject on arn:aws:s3:::reports/*." in lines
    assert (
        "Service principal ssm.amazonaws.com may assume role AWSServiceRoleForAmazonSSM (its trust policy says so)."
        in lines
    )
    assert "User app-user has policy keyed (inline)." in lines
    assert not any("admin" in line for line in lines), "the console's own admin is left out"


def test_a_profile_whose_role_does_not_trust_ec2_says_so():
    lambda_trust = EC2_TRUST.replace("ec2.amazonaws.com", "lambda.amazonaws.com")
    lines = pictures.access_graph(account(instances=1, trust=lambda_trust)).lines
    assert (
        "Instance profile AppProfile holds role AppRole (but the role does not trust EC2: no credentials)."
        in lines
    )


def test_names_are_escaped_in_the_svg():
    world = account(instances=0)
    world.call(world.admin_credentials(), "ec2", "RunInstances", {
        "ImageId": "ami-0abcdef1234567890", "InstanceType": "t3.micro", "MinCount": 1, "MaxCount": 1,
        "IamInstanceProfile": {"Name": "AppProfile"},
        "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "<script>x</script>"}]}],
    })  # fmt: skip
    picture = pictures.draw_graph(pictures.access_graph(world))
    assert "<script>" not in picture.svg
    parse(picture.svg)  # still well-formed
    assert any("<script>x</script>" in line for line in picture.lines)  # the template escapes these


def test_fleet_tiles_say_allowed_and_denied_with_symbols_and_words():
    tiles = [
        Tile("i-1", "web-1", "running", tick=3, credentials="instance profile",
             calls=(TileCall("PutObject", True), TileCall("GetObject", False, "AccessDenied", "User: … is not authorized"))),
        Tile("i-2", "web-2", "running", tick=3, credentials="instance profile",
             calls=(TileCall("PutObject", True), TileCall("GetObject", True))),
        Tile("i-3", "web-3", "running"),
        Tile("i-4", "db-1", "stopped", app=False),
    ]  # fmt: skip
    picture = pictures.draw_fleet(tiles, id_prefix="f")
    root = parse(picture.svg)
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title") is not None
    assert root.find(f"{SVG}desc") is not None
    texts = [unescape("".join(t.itertext())) for t in root.iter(f"{SVG}text")]
    assert "✔ PutObject" in texts
    assert "✖ GetObject" in texts
    assert "AccessDenied" in texts  # whole, on the line under its call
    classes = [g.get("class") for g in root.iter(f"{SVG}g")]
    assert classes == [
        "pic-tile pic-tile--denied",
        "pic-tile pic-tile--allowed",
        "pic-tile pic-tile--idle",
        "pic-tile pic-tile--idle",
    ]
    assert picture.lines == (
        "web-1 (i-1), tick 3 with credentials from the instance profile: PutObject allowed; "
        "GetObject failed: AccessDenied — User: … is not authorized.",
        "web-2 (i-2), tick 3 with credentials from the instance profile: PutObject allowed; GetObject allowed.",
        "web-3 (i-3), running: the application has not run yet.",
        "db-1 (i-4), stopped: runs no application.",
    )
    tile_titles = [g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g")]
    assert tile_titles == list(picture.lines)


def test_pictures_fit_a_phone_width():
    picture = pictures.draw_graph(pictures.access_graph(account(instances=10)))
    root = parse(picture.svg)
    width = float(root.get("viewBox").split()[2])
    assert width <= 375
    for rect in root.iter(f"{SVG}rect"):
        assert float(rect.get("x")) + float(rect.get("width")) <= width
    assert re.search(r'height="\d+"', picture.svg)
